// Regressions found by the hostile-input suite (test/security): each one answered 5xx before its fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let alice: { id: string; key: string };

beforeAll(async () => {
  gw = await startTestGateway();
  alice = await gw.customer('Alice');
});
afterAll(() => gw.close());

describe('hostile input: errors, never 5xx', () => {
  it('a JSON content type that our check accepts but the route validator refuses is 415, not 500', async () => {
    for (const type of ['application/json;;;', 'application/json;']) {
      const res = await gw.request('/v1/instances', {
        method: 'POST',
        key: alice.key,
        headers: { 'Content-Type': type },
        body: JSON.stringify({ name: 'main' }),
      });
      expect(res.status, type).toBe(415);
      const body = await res.json();
      expect(body.error.code).toBe('unsupported_media_type');
      expect(body.correlation_id).toBe(res.headers.get('X-Correlation-Id'));
    }
  });
});
