// Redis first; when Redis fails or is slow the request is decided by this replica's in-process bucket
// (same policy), so the API stays up and still throttles, at most N replicas × the limit while degraded.
import type { Logger } from 'pino';
import type { BucketPolicy, RateDecision, RateLimiter } from './rate-limiter.ts';

export class FailoverRateLimiter implements RateLimiter {
  readonly #primary: RateLimiter;
  readonly #fallback: RateLimiter;
  readonly #logger: Logger;
  #degradedSince: number | null = null;

  constructor(primary: RateLimiter, fallback: RateLimiter, logger: Logger) {
    this.#primary = primary;
    this.#fallback = fallback;
    this.#logger = logger;
  }

  async take(bucketKey: string, policy: BucketPolicy): Promise<RateDecision> {
    try {
      const decision = await this.#primary.take(bucketKey, policy);
      if (this.#degradedSince !== null) {
        this.#logger.info({ degraded_ms: Date.now() - this.#degradedSince }, 'rate limiter: Redis is back');
        this.#degradedSince = null;
      }
      return decision;
    } catch (error) {
      if (this.#degradedSince === null) {
        this.#degradedSince = Date.now();
        this.#logger.warn(
          { err: (error as Error).message },
          'rate limiter: Redis unreachable, using local buckets',
        );
      }
      return this.#fallback.take(bucketKey, policy);
    }
  }
}
