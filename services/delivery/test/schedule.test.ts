// The retry schedule as a function: jitter bounds, the end of the schedule, Retry-After.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE_MS } from '../src/env.ts';
import { nextRetryDelay, parseRetryAfter } from '../src/schedule.ts';

const policy = { scheduleMs: DEFAULT_SCHEDULE_MS, jitter: 0.2 };

describe('nextRetryDelay', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h within ±20%, then gives up after the sixth attempt', () => {
    for (let done = 1; done <= 5; done++) {
      const base = DEFAULT_SCHEDULE_MS[done]!;
      expect(nextRetryDelay(policy, done, null, () => 0)).toBe(Math.round(base * 0.8));
      expect(nextRetryDelay(policy, done, null, () => 1)).toBe(Math.round(base * 1.2));
      expect(nextRetryDelay(policy, done, null, () => 0.5)).toBe(base);
    }
    expect(nextRetryDelay(policy, 6, null)).toBeNull();
    expect(nextRetryDelay(policy, 7, 1_000)).toBeNull();
  });

  it('waits for Retry-After when it is later than the schedule, but never past the longest delay', () => {
    expect(nextRetryDelay(policy, 1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextRetryDelay(policy, 1, 1_000, () => 0.5)).toBe(5_000);
    expect(nextRetryDelay(policy, 1, 30 * 86_400_000, () => 0.5)).toBe(18_000_000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-11-28T10:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
