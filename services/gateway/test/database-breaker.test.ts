// The breaker's per-request guard: a request waiting on the database is answered database_unavailable when
// the breaker opens, and a request that finishes leaves nothing behind (the load test found the earlier
// shared-promise race keeping every request's context alive until the next outage).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DatabaseBreaker } from '../src/database-breaker.ts';

const logger = pino({ level: 'silent' });

describe('DatabaseBreaker.guard', () => {
  it('keeps no waiter once a request settles, however many ran', async () => {
    const breaker = new DatabaseBreaker({ probe: async () => {}, logger });
    await Promise.all(Array.from({ length: 10_000 }, (_, i) => breaker.guard(Promise.resolve(i))));
    await Promise.allSettled(
      Array.from({ length: 100 }, () => breaker.guard(Promise.reject(new Error('handler failed')))),
    );
    expect(breaker.waiting).toBe(0);
    breaker.stop();
  });

  it('answers a request still waiting with database_unavailable when the breaker opens, and lets later ones run once closed', async () => {
    const breaker = new DatabaseBreaker({ probe: async () => {}, logger, probeIntervalMs: 100 });
    const waiting = breaker.guard(new Promise(() => {}));
    expect(breaker.waiting).toBe(1);
    breaker.failed(new Error('ECONNREFUSED'));
    await expect(waiting).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(breaker.waiting).toBe(0);
    expect(() => breaker.check()).toThrow();
    breaker.succeeded();
    await expect(breaker.guard(Promise.resolve('ok'))).resolves.toBe('ok');
    breaker.stop();
  });
});
