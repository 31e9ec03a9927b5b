// When the next attempt of a failed delivery happens, if at all.

export interface RetryPolicy {
  /** Delay before each attempt; its length is the number of scheduled attempts. */
  scheduleMs: number[];
  /** ±fraction applied to each delay (0.2 = ±20%). */
  jitter: number;
}

/**
 * After a failed attempt with `scheduledDone` scheduled attempts made: null when the schedule is spent (the
 * delivery is failed), else the delay before the next one. Retry-After (429/503) pushes the next attempt
 * later, never earlier than the schedule, and never past the schedule's longest delay, so it cannot hold a
 * delivery beyond its own retry window nor spend an extra attempt.
 */
export function nextRetryDelay(
  policy: RetryPolicy,
  scheduledDone: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const base = policy.scheduleMs[scheduledDone];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + policy.jitter * (2 * random() - 1)));
  if (retryAfterMs === null) return jittered;
  const ceiling = Math.max(...policy.scheduleMs);
  return Math.max(jittered, Math.min(retryAfterMs, ceiling));
}

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
