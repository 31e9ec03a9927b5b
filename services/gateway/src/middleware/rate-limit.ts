// Per-customer token bucket (shared by all of a customer's keys) with IETF draft-11 RateLimit headers.
import { createMiddleware } from 'hono/factory';
import type { AppEnv, GatewayDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';

export function rateLimit(deps: Pick<GatewayDeps, 'rateLimiter' | 'config'>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    const policy = {
      burst: principal.rateLimitBurst ?? deps.config.rateLimit.burst,
      perSecond: principal.rateLimitPerSecond ?? deps.config.rateLimit.perSecond,
    };
    const decision = await deps.rateLimiter.take(principal.customerId, policy);
    const windowSeconds = Math.max(1, Math.ceil(policy.burst / policy.perSecond));
    const headers = {
      'RateLimit-Policy': `"default";q=${policy.burst};w=${windowSeconds}`,
      RateLimit: `"default";r=${decision.remaining};t=${Math.ceil(decision.resetMs / 1000)}`,
    };
    if (!decision.allowed) {
      throw new ApiError(
        'rate_limited',
        'rate limit exceeded: retry after the time in the Retry-After header',
        {
          retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
          headers,
        },
      );
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
}
