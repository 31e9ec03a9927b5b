// One log line per request: correlation id, customer, method, route pattern, status, latency.
// The raw URL is not logged (query strings may carry anything); nor are headers or bodies.
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { AppEnv } from '../deps.ts';

export function requestLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const line = {
      correlation_id: c.get('correlationId'),
      customer_id: c.get('customerId'),
      method: c.req.method,
      route: routePath(c),
      status,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
    };
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  });
}
