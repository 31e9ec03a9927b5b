// Builds the gateway's Hono app from its dependencies. main.ts serves it; tests call app.request().
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { DatabaseBreaker } from './database-breaker.ts';
import type { AppEnv, GatewayDeps } from './deps.ts';
import { ApiError, errorBody } from './errors.ts';
import { correlationId } from './middleware/correlation-id.ts';
import { requestLog } from './middleware/request-log.ts';
import { isDatabaseUnreachable } from './postgres-errors.ts';
import { registerDashboard } from './routes/dashboard.ts';
import { registerDocs } from './routes/docs.ts';
import { createHealthRoutes } from './routes/health.ts';
import { createV1App } from './routes/v1/router.ts';

export function createApp(deps: GatewayDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use(correlationId);
  app.use(requestLog(deps.logger));
  const limitBody = bodyLimit({
    maxSize: deps.config.maxBodyBytes,
    onError: () => {
      throw new ApiError('payload_too_large', `request body exceeds ${deps.config.maxBodyBytes} bytes`);
    },
  });
  // GET and HEAD never carry a body here, and asking for one (c.req.raw.body) makes @hono/node-server build
  // a full Request object: a measurable cost on every read (see docs/benchmarks.md).
  app.use('/v1/*', (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next),
  );

  const breaker = new DatabaseBreaker({
    probe: () => deps.dbHandle.ping(),
    waitMs: deps.config.database?.waitMs,
    probeIntervalMs: deps.config.database?.probeIntervalMs,
    logger: deps.logger,
  });
  deps.shutdownSignal?.addEventListener('abort', () => breaker.stop());
  // Every /v1 request needs the database (at least for its API key, past the short key cache).
  app.use('/v1/*', async (_c, next) => {
    breaker.check();
    const watchdog = setTimeout(() => breaker.suspect(), breaker.waitMs);
    try {
      // Opening the breaker answers requests still waiting on the database; their handlers run on unobserved.
      await breaker.guard(next());
    } finally {
      clearTimeout(watchdog);
    }
  });

  app.route('/', createHealthRoutes(deps, breaker));
  app.route('/v1', createV1App(deps));
  registerDocs(app);
  registerDashboard(app);

  app.notFound((c) =>
    c.json(errorBody(new ApiError('not_found', 'no such route'), c.get('correlationId')), 404),
  );

  app.onError((error, c) => {
    let apiError: ApiError;
    if (isDatabaseUnreachable(error)) {
      breaker.failed(error);
      apiError = breaker.unavailable(error);
    } else apiError = toApiError(error);
    // The breaker logs the outage once; one error line per refused request would bury it.
    if (apiError.status >= 500 && apiError.code !== 'database_unavailable') {
      deps.logger.error(
        { err: error, correlation_id: c.get('correlationId'), customer_id: c.get('customerId') },
        'unhandled error',
      );
    }
    for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
    if (apiError.retryAfterSeconds !== undefined) c.header('Retry-After', String(apiError.retryAfterSeconds));
    return c.json(errorBody(apiError, c.get('correlationId')), apiError.status);
  });

  return app;
}

function toApiError(error: Error): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 400) {
      return new ApiError('validation_failed', `invalid request: ${error.message || 'malformed JSON body'}`, {
        issues: [{ path: 'body', message: error.message || 'malformed JSON' }],
      });
    }
    if (error.status === 413) return new ApiError('payload_too_large', 'request body is too large');
    // @hono/zod-openapi refuses some JSON content types our own check lets through (`application/json;;`).
    if (error.status === 415) {
      return new ApiError(
        'unsupported_media_type',
        'request body must be JSON: send "Content-Type: application/json"',
      );
    }
  }
  return new ApiError('internal_error', 'internal error; quote the correlation id when reporting it', {
    cause: error,
  });
}
