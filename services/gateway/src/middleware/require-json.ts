// Requests with a body must say it is JSON; anything else is a 415 that names the expected type.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../deps.ts';
import { ApiError } from '../errors.ts';

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json(\s*;.*)?$/i;

export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  const method = c.req.method;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const length = c.req.header('Content-Length');
    const hasBody = length !== undefined ? length !== '0' : c.req.raw.body !== null;
    const type = c.req.header('Content-Type');
    if (hasBody && (!type || !JSON_TYPE.test(type))) {
      throw new ApiError(
        'unsupported_media_type',
        'request body must be JSON: send "Content-Type: application/json"',
      );
    }
  }
  await next();
});
