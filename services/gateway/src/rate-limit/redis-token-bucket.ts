// The shared bucket: one Lua script per request, atomic in Redis.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { BucketPolicy, RateDecision, RateLimiter } from './rate-limiter.ts';

const SCRIPT = readFileSync(new URL('./token-bucket.lua', import.meta.url), 'utf8');

interface WithTakeToken {
  takeToken(key: string, burst: number, perSecond: number): Promise<[number, number, number, number]>;
}

export class RedisTokenBucket implements RateLimiter {
  readonly #redis: Redis & WithTakeToken;
  readonly #keyPrefix: string;

  constructor(redis: Redis, keyPrefix: string) {
    if (!('takeToken' in redis)) redis.defineCommand('takeToken', { numberOfKeys: 1, lua: SCRIPT });
    this.#redis = redis as Redis & WithTakeToken;
    this.#keyPrefix = keyPrefix;
  }

  async take(bucketKey: string, policy: BucketPolicy): Promise<RateDecision> {
    const [allowed, remaining, retryAfterMs, resetMs] = await this.#redis.takeToken(
      `${this.#keyPrefix}rl:${bucketKey}`,
      policy.burst,
      policy.perSecond,
    );
    return { allowed: allowed === 1, remaining, retryAfterMs, resetMs, source: 'redis' };
  }
}
