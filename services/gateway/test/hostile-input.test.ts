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

  it('a NUL in an audit-log text filter is 400, not a failed query', async () => {
    for (const query of ['action=%00', 'target_id=ins_%00', 'action=instance.create%00']) {
      const res = await gw.request(`/v1/audit-events?${query}`, { key: alice.key });
      expect(res.status, query).toBe(400);
      expect((await res.json()).error.code).toBe('validation_failed');
    }
  });

  it('a date-time outside years 1 to 9999 (in UTC) is 400 on every since/until filter, not a failed query', async () => {
    for (const path of [
      '/v1/webhook-deliveries?since=',
      '/v1/audit-events?since=',
      '/v1/audit-events?until=',
    ]) {
      for (const value of [
        '0000-01-01T00:00:00Z',
        '0000-06-01T00:00:00%2B14:00',
        '9999-12-31T23:59:59-14:00',
      ]) {
        const res = await gw.request(`${path}${value}`, { key: alice.key });
        expect(res.status, path + value).toBe(400);
        expect((await res.json()).error.issues[0].path).toMatch(/^query\.(since|until)$/);
      }
      const fine = await gw.request(`${path}0001-01-01T00:00:00Z`, { key: alice.key });
      expect(fine.status).toBe(200);
    }
  });

  it('an event stream asked to start before year 1 is 400 at once, not a stream that never opens', async () => {
    for (const value of ['0000-01-01T00:00:00%2B14:00', '9999-12-31T23:59:59-14:00']) {
      const res = await Promise.race([
        gw.request(`/v1/events/stream?since=${value}`, { key: alice.key }),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no answer for ${value}`)), 5_000),
        ),
      ]);
      expect(res.status, value).toBe(400);
      expect((await res.json()).error.code).toBe('validation_failed');
    }
  });
});
