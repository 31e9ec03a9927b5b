// GET /openapi.json (OpenAPI 3.1 from the validating schemas) and GET /docs (a readable page built from it,
// self-contained so it works on an offline network).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../deps.ts';
import { renderDocsPage } from './docs-page.ts';

const INFO = {
  title: 'WhatIsUp API',
  version: '1.0.0',
  description:
    'Multi-tenant WhatsApp HTTP API. Authenticate with `Authorization: Bearer <api key>`. Errors have the shape ' +
    '`{ "error": { "code", "message", "issues"? }, "correlation_id" }`. Every /v1 response carries the ' +
    'RateLimit-Policy and RateLimit headers; a 429 carries Retry-After.',
};

export function registerDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer' });
  let cached: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const document = () => {
    cached ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: INFO,
      security: [{ apiKey: [] }],
    });
    return cached;
  };
  app.get('/openapi.json', (c) => c.json(document()));
  let page: string | undefined;
  app.get('/docs', (c) => {
    page ??= renderDocsPage(document() as unknown as Record<string, unknown>);
    return c.html(page);
  });
}
