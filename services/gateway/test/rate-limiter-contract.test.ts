// One contract, two implementations: the Redis token bucket (shared by gateway replicas) and the in-process
// one (one-machine mode, and the fallback while Redis is away) must decide identically. The HTTP headers are
// computed from the decision by the same middleware, so equal decisions mean equal headers.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTokenBucket } from '../src/rate-limit/local-token-bucket.ts';
import type { RateLimiter } from '../src/rate-limit/rate-limiter.ts';
import { RedisTokenBucket } from '../src/rate-limit/redis-token-bucket.ts';
import { REDIS_URL } from './harness.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2_000 });
  await new Promise((resolve) => redis.once('ready', resolve));
});
afterAll(() => redis.quit());

const implementations: Array<[string, () => RateLimiter, 'redis' | 'local']> = [
  ['RedisTokenBucket', () => new RedisTokenBucket(redis, `rlc${randomBytes(4).toString('hex')}:`), 'redis'],
  ['LocalTokenBucket', () => new LocalTokenBucket(), 'local'],
];

describe.each(implementations)('%s', (_name, make, source) => {
  const key = () => `cus_${randomBytes(6).toString('hex')}`;

  it('admits exactly the burst at once, counts remaining down, then refuses with Retry-After', async () => {
    const limiter = make();
    const bucket = key();
    const policy = { burst: 5, perSecond: 0.01 };
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.take(bucket, policy));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(decisions.every((d) => d.source === source)).toBe(true);
    const refused = decisions[5]!;
    // One token at 0.01/s takes 100 s; a little has refilled since the first take.
    expect(refused.retryAfterMs).toBeGreaterThan(90_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100_000);
    // Full again after five tokens' worth of refill.
    expect(refused.resetMs).toBeGreaterThan(490_000);
    expect(refused.resetMs).toBeLessThanOrEqual(500_000);
    expect(decisions[0]!.retryAfterMs).toBe(0);
  });

  it('refused requests spend nothing: the wait does not grow with retries', async () => {
    const limiter = make();
    const bucket = key();
    const policy = { burst: 1, perSecond: 0.1 };
    expect((await limiter.take(bucket, policy)).allowed).toBe(true);
    const first = await limiter.take(bucket, policy);
    for (let i = 0; i < 10; i++) await limiter.take(bucket, policy);
    const later = await limiter.take(bucket, policy);
    expect(first.allowed).toBe(false);
    expect(later.allowed).toBe(false);
    expect(later.retryAfterMs).toBeLessThanOrEqual(first.retryAfterMs);
  });

  it('refills continuously, not in steps: a token is back after 1/rate seconds', async () => {
    const limiter = make();
    const bucket = key();
    const policy = { burst: 2, perSecond: 10 };
    await limiter.take(bucket, policy);
    await limiter.take(bucket, policy);
    const refused = await limiter.take(bucket, policy);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(100);
    await sleep(refused.retryAfterMs + 50);
    const again = await limiter.take(bucket, policy);
    expect(again.allowed).toBe(true);
  });

  it('never holds more than the burst, however long it was idle', async () => {
    const limiter = make();
    const bucket = key();
    const policy = { burst: 3, perSecond: 10 };
    await limiter.take(bucket, policy);
    await sleep(500); // 5 tokens' worth of refill into a bucket of 3
    expect((await limiter.take(bucket, policy)).remaining).toBe(2);
  });

  it('a lowered burst applies at once to a bucket that was fuller', async () => {
    const limiter = make();
    const bucket = key();
    expect((await limiter.take(bucket, { burst: 100, perSecond: 0.001 })).remaining).toBe(99);
    const lowered = { burst: 2, perSecond: 0.001 };
    const after = [];
    for (let i = 0; i < 3; i++) after.push((await limiter.take(bucket, lowered)).allowed);
    expect(after).toEqual([true, true, false]);
  });

  it('buckets are independent per key', async () => {
    const limiter = make();
    const policy = { burst: 1, perSecond: 0.001 };
    const a = key();
    const b = key();
    expect((await limiter.take(a, policy)).allowed).toBe(true);
    expect((await limiter.take(a, policy)).allowed).toBe(false);
    expect((await limiter.take(b, policy)).allowed).toBe(true);
  });

  it('200 concurrent takes on a bucket of 50 admit exactly 50', async () => {
    const limiter = make();
    const bucket = key();
    const policy = { burst: 50, perSecond: 0.001 };
    const decisions = await Promise.all(Array.from({ length: 200 }, () => limiter.take(bucket, policy)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50);
    const remaining = decisions
      .filter((d) => d.allowed)
      .map((d) => d.remaining)
      .sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('hostile keys (unicode, separators, very long) are just keys', async () => {
    const limiter = make();
    const policy = { burst: 1, perSecond: 0.001 };
    for (const weird of ['a:b:*', '\u0000\uffff', '🦜'.repeat(500), '../../etc/passwd', ' ']) {
      const bucket = `${key()}${weird}`;
      expect((await limiter.take(bucket, policy)).allowed).toBe(true);
      expect((await limiter.take(bucket, policy)).allowed).toBe(false);
    }
  });
});

describe('both implementations side by side', () => {
  it('the same sequence gives the same decisions, remaining counts and waits (within clock skew)', async () => {
    const [redisBucket, localBucket] = implementations.map(([, make]) => make());
    const bucket = `cus_${randomBytes(6).toString('hex')}`;
    const policy = { burst: 4, perSecond: 2 };
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6; i++) {
        const [r, l] = await Promise.all([
          redisBucket!.take(bucket, policy),
          localBucket!.take(bucket, policy),
        ]);
        expect(l.allowed).toBe(r.allowed);
        expect(l.remaining).toBe(r.remaining);
        expect(Math.abs(l.retryAfterMs - r.retryAfterMs)).toBeLessThanOrEqual(60);
        expect(Math.abs(l.resetMs - r.resetMs)).toBeLessThanOrEqual(60);
      }
      await sleep(600);
    }
  });
});
