// The rate-limit contract: a token bucket per customer. Implementations: Redis (shared by every gateway
// replica) and in-process (one-machine mode, and the fallback while Redis is unreachable).
export interface BucketPolicy {
  /** Bucket size: how many requests may arrive at once. */
  burst: number;
  /** Continuous refill rate in tokens per second. */
  perSecond: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: milliseconds until one token exists. */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
  /** Which store decided: 'redis', or 'local' when running without Redis or while Redis is unreachable. */
  source: 'redis' | 'local';
}

export interface RateLimiter {
  take(bucketKey: string, policy: BucketPolicy): Promise<RateDecision>;
}
