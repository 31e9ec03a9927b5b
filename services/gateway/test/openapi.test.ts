import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document generated from the validating schemas', async () => {
    const res = await gw.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/instances', '/v1/instances/{id}', '/v1/audit-events']),
    );
    const create = doc.paths['/v1/instances'].post;
    const bodySchema = create.requestBody.content['application/json'].schema;
    const resolved = bodySchema.$ref ? doc.components.schemas[bodySchema.$ref.split('/').pop()] : bodySchema;
    expect(resolved.required).toContain('name');
    expect(resolved.additionalProperties).toBe(false);
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '409', '429']),
    );
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('serves a human-readable docs page without external assets', async () => {
    const res = await gw.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/v1/instances/{id}');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127)/);
  });

  it('answers unknown routes with the error body', async () => {
    const res = await gw.request('/nope');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});
