import { findApiKey } from '@whatisup/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../src/admin/operations.ts';
import { startTestGateway, type TestGateway, type TestResponse } from './harness.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ config: { apiKeyCacheTtlMs: 200 } });
});
afterAll(() => gw.close());

async function errorOf(res: TestResponse) {
  return { status: res.status, code: (await res.json()).error.code as string };
}

describe('API key authentication', () => {
  it('accepts a valid key and records its last use', async () => {
    const alice = await gw.customer();
    const res = await gw.request('/v1/instances', { key: alice.key });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await findApiKey(gw.db, alice.keyId))?.lastUsedAt).toBeInstanceOf(Date);
  });

  it.each([
    ['no header', {}],
    ['empty bearer', { Authorization: 'Bearer ' }],
    ['basic scheme', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['unknown key', { Authorization: `Bearer wiu_${'A'.repeat(32)}` }],
    ['malformed key', { Authorization: 'Bearer not-a-key' }],
    ['huge key', { Authorization: `Bearer wiu_${'A'.repeat(10_000)}` }],
    ['injection attempt', { Authorization: "Bearer wiu_' or 1=1 --" }],
  ])('401 unauthorized for %s', async (_label, headers) => {
    const res = await gw.request('/v1/instances', { headers });
    expect(await errorOf(res)).toEqual({ status: 401, code: 'unauthorized' });
    expect(res.headers.get('X-Correlation-Id')).toBeTruthy();
  });

  it('a revoked key stops working within the cache TTL, and says it was revoked', async () => {
    const alice = await gw.customer();
    expect((await gw.request('/v1/instances', { key: alice.key })).status).toBe(200);
    await revokeApiKey(gw.db, alice.keyId);
    await expect
      .poll(async () => (await gw.request('/v1/instances', { key: alice.key })).status, { timeout: 3_000 })
      .toBe(401);
    const body = await (await gw.request('/v1/instances', { key: alice.key })).json();
    expect(body.error.message).toMatch(/revoked/);
  });

  it("two keys of one customer see the same instances; another customer's key sees none of them", async () => {
    const alice = await gw.customer();
    const second = await createApiKey(gw.db, alice.id, 'second');
    const bob = await gw.customer();
    const created = await (
      await gw.request('/v1/instances', { method: 'POST', key: alice.key, json: { name: 'shared' } })
    ).json();
    const viaSecond = await gw.request(`/v1/instances/${created.id}`, { key: second.key });
    expect(viaSecond.status).toBe(200);
    expect((await gw.request(`/v1/instances/${created.id}`, { key: bob.key })).status).toBe(404);
  });
});

describe('correlation ids and logs', () => {
  it('keeps a sane incoming correlation id and replaces a hostile one', async () => {
    const alice = await gw.customer();
    const kept = await gw.request('/v1/instances', {
      key: alice.key,
      headers: { 'X-Correlation-Id': 'abc-123' },
    });
    expect(kept.headers.get('X-Correlation-Id')).toBe('abc-123');
    const hostile = await gw.request('/v1/instances', {
      key: alice.key,
      headers: { 'X-Correlation-Id': `x${'y'.repeat(300)}` },
    });
    const replaced = hostile.headers.get('X-Correlation-Id')!;
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const errorRes = await gw.request('/v1/instances/ins_x', {
      key: alice.key,
      headers: { 'X-Correlation-Id': 'err-1' },
    });
    expect((await errorRes.json()).correlation_id).toBe('err-1');
  });

  it('logs one line per request with customer, route, status and latency, and never the key', async () => {
    const alice = await gw.customer();
    await gw.request('/v1/instances', { key: alice.key, headers: { 'X-Correlation-Id': 'log-check-1' } });
    await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      json: { name: 'logged' },
      headers: { 'X-Correlation-Id': 'log-check-2' },
    });
    const lines = gw.logs
      .map((l) => JSON.parse(l))
      .filter((l) => String(l.correlation_id).startsWith('log-check-'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      customer_id: alice.id,
      method: 'GET',
      route: '/v1/instances',
      status: 200,
    });
    expect(lines[1]).toMatchObject({ method: 'POST', route: '/v1/instances', status: 201 });
    expect(typeof lines[0].latency_ms).toBe('number');
    expect(gw.logs.join('\n')).not.toContain(alice.key);
  });
});
