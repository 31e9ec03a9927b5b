// Keeps the caller's X-Correlation-Id when it is a sane token, else makes one; echoes it on every response.
import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../deps.ts';

export const CORRELATION_HEADER = 'X-Correlation-Id';
const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

export const correlationId = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header(CORRELATION_HEADER);
  const id = incoming && SAFE.test(incoming) ? incoming : randomUUID();
  c.set('correlationId', id);
  c.header(CORRELATION_HEADER, id);
  await next();
  // Responses built through the context already carry it; a response returned as is may not. Setting a header
  // on a finished response copies it into a streamed one, so only do that when the header is missing.
  if (c.res.headers.get(CORRELATION_HEADER) !== id) c.header(CORRELATION_HEADER, id);
});
