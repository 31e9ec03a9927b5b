// The same bucket in process memory: one-machine mode, and the fallback while Redis is unreachable.
import type { BucketPolicy, RateDecision, RateLimiter } from './rate-limiter.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export class LocalTokenBucket implements RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  readonly #maxBuckets: number;

  constructor(options: { now?: () => number; maxBuckets?: number } = {}) {
    this.#now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.#maxBuckets = options.maxBuckets ?? 100_000;
  }

  async take(bucketKey: string, policy: BucketPolicy): Promise<RateDecision> {
    const now = this.#now();
    const bucket = this.#buckets.get(bucketKey) ?? { tokens: policy.burst, at: now };
    const elapsedMs = Math.max(0, now - bucket.at);
    let tokens = Math.min(policy.burst, bucket.tokens + (elapsedMs * policy.perSecond) / 1000);
    let allowed = false;
    let retryAfterMs = 0;
    if (tokens >= 1) {
      tokens -= 1;
      allowed = true;
    } else {
      retryAfterMs = Math.ceil(((1 - tokens) * 1000) / policy.perSecond);
    }
    this.#buckets.delete(bucketKey);
    this.#buckets.set(bucketKey, { tokens, at: now });
    if (this.#buckets.size > this.#maxBuckets) {
      // Map iteration order is insertion order: the first key is the least recently used bucket.
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    return {
      allowed,
      remaining: Math.floor(tokens),
      retryAfterMs,
      resetMs: Math.ceil(((policy.burst - tokens) * 1000) / policy.perSecond),
      source: 'local',
    };
  }
}
