import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let alice: { id: string; key: string };
let bob: { id: string; key: string };

beforeAll(async () => {
  gw = await startTestGateway();
  alice = await gw.customer('Alice');
  bob = await gw.customer('Bob');
});
afterAll(() => gw.close());

describe('instances: happy path', () => {
  it('creates, gets, lists with a cursor and deletes', async () => {
    const created = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      json: { name: 'sales' },
    });
    expect(created.status).toBe(201);
    const instance = await created.json();
    expect(instance).toMatchObject({ name: 'sales', status: 'created', phone: null, last_error: null });
    expect(instance.id).toMatch(/^ins_[0-9a-z]{26}$/);

    const got = await gw.request(`/v1/instances/${instance.id}`, { key: alice.key });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(instance);

    for (const name of ['b', 'c', 'd']) {
      expect(
        (await gw.request('/v1/instances', { method: 'POST', key: alice.key, json: { name } })).status,
      ).toBe(201);
    }
    const first = await (await gw.request('/v1/instances?limit=3', { key: alice.key })).json();
    expect(first.data.map((i: { name: string }) => i.name)).toEqual(['sales', 'b', 'c']);
    expect(first.next_cursor).toBe(first.data[2].id);
    const second = await (
      await gw.request(`/v1/instances?limit=3&cursor=${first.next_cursor}`, { key: alice.key })
    ).json();
    expect(second.data.map((i: { name: string }) => i.name)).toEqual(['d']);
    expect(second.next_cursor).toBeNull();

    const deleted = await gw.request(`/v1/instances/${instance.id}`, { method: 'DELETE', key: alice.key });
    expect(deleted.status).toBe(204);
    expect((await gw.request(`/v1/instances/${instance.id}`, { key: alice.key })).status).toBe(404);
  });

  it('writes an audit row for each change, with the correlation id', async () => {
    const res = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      json: { name: 'audited' },
      headers: { 'X-Correlation-Id': 'corr-audit-1' },
    });
    const { id } = await res.json();
    const audit = await (await gw.request(`/v1/audit-events?target_id=${id}`, { key: alice.key })).json();
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({
      action: 'instance.create',
      target: { type: 'instance', id },
      actor: { type: 'api_key' },
      correlation_id: 'corr-audit-1',
    });
  });
});

describe('instances: errors', () => {
  it('refuses a duplicate name with 409 conflict', async () => {
    await gw.request('/v1/instances', { method: 'POST', key: alice.key, json: { name: 'dup' } });
    const again = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      json: { name: 'dup' },
    });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('conflict');
  });

  it.each([
    ['missing name', {}, 'body.name'],
    ['wrong type', { name: 42 }, 'body.name'],
    ['empty name', { name: '   ' }, 'body.name'],
    ['oversized name', { name: 'x'.repeat(101) }, 'body.name'],
    ['control characters', { name: 'a\u0000b' }, 'body.name'],
    ['unknown field', { name: 'ok', admin: true }, 'body'],
    ['array body', [1, 2], 'body'],
  ])('400 validation_failed for %s, naming the field', async (_label, json, path) => {
    const res = await gw.request('/v1/instances', { method: 'POST', key: alice.key, json });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(body.correlation_id).toBeTruthy();
  });

  it('400 for malformed JSON, 415 for a non-JSON body, 413 for an oversized body', async () => {
    const malformed = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      body: '{"name": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('validation_failed');

    const form = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      body: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await form.json()).error.code).toBe('unsupported_media_type');

    const huge = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      json: { name: 'x'.repeat(70 * 1024) },
    });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('payload_too_large');
  });

  it('400 for a bad limit or cursor', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'cursor=garbage',
      'cursor=whe_01jq0a3k5v7x9z2b4d6f8h0j2k',
      'foo=1',
    ]) {
      const res = await gw.request(`/v1/instances?${query}`, { key: alice.key });
      expect(res.status, query).toBe(400);
    }
  });

  it('404 for ids that are malformed or hostile', async () => {
    for (const id of [
      'nope',
      '..%2f..%2fetc%2fpasswd',
      'ins_',
      `ins_${'a'.repeat(500)}`,
      "ins_' or 1=1 --",
      '%00',
    ]) {
      const res = await gw.request(`/v1/instances/${id}`, { key: alice.key });
      expect(res.status, id).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });
});

describe('instances: security', () => {
  it("never shows or touches another customer's instance (404, not 403)", async () => {
    const res = await gw.request('/v1/instances', {
      method: 'POST',
      key: alice.key,
      json: { name: 'private' },
    });
    const { id } = await res.json();
    expect((await gw.request(`/v1/instances/${id}`, { key: bob.key })).status).toBe(404);
    expect((await gw.request(`/v1/instances/${id}`, { method: 'DELETE', key: bob.key })).status).toBe(404);
    const bobs = await (await gw.request('/v1/instances', { key: bob.key })).json();
    expect(bobs.data.map((i: { id: string }) => i.id)).not.toContain(id);
    expect((await gw.request(`/v1/instances/${id}`, { key: alice.key })).status).toBe(200);
    const bobAudit = await (await gw.request(`/v1/audit-events?target_id=${id}`, { key: bob.key })).json();
    expect(bobAudit.data).toEqual([]);
  });
});
