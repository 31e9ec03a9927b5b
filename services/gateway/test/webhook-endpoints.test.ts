import { checkWebhookUrl } from '@whatisup/ssrf-guard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway, type TestResponse } from './harness.ts';

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

let gw: TestGateway;
let alice: { id: string; key: string; keyId: string };
let bob: { id: string; key: string; keyId: string };
/** Every secret any response handed out, to prove none of them reaches the logs. */
const secretsSeen: string[] = [];

beforeAll(async () => {
  gw = await startTestGateway();
  alice = await gw.customer('Alice');
  bob = await gw.customer('Bob');
});
afterAll(() => gw.close());

async function createEndpoint(json: unknown, key = alice.key): Promise<TestResponse> {
  const res = await gw.request('/v1/webhook-endpoints', { method: 'POST', key, json });
  if (res.status === 201) {
    const body = (await res.clone().json()) as { secret: string };
    secretsSeen.push(body.secret);
  }
  return res;
}

async function newEndpoint(json: Record<string, unknown> = {}) {
  const res = await createEndpoint({ url: 'https://hooks.example.com/whatisup', ...json });
  expect(res.status).toBe(201);
  return res.json();
}

interface StoredRow {
  url: string;
  events: string[];
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
}

async function storedRow(id: string): Promise<StoredRow | undefined> {
  const [row] = await gw.dbHandle.sql<StoredRow[]>`
    select url, events, secret_sealed as "secretSealed", previous_secret_sealed as "previousSecretSealed",
           previous_secret_expires_at as "previousSecretExpiresAt"
    from webhook_endpoints where id = ${id}`;
  return row;
}

async function auditOf(id: string, key = alice.key) {
  return (await (await gw.request(`/v1/audit-events?target_id=${id}`, { key })).json()).data;
}

function expectValidationFailure(
  body: { error: { code: string; issues: { path: string }[] } },
  path: string,
) {
  expect(body.error.code).toBe('validation_failed');
  expect(body.error.issues.map((i) => i.path)).toContain(path);
}

describe('webhook endpoints: happy path', () => {
  it('creates an endpoint and shows its signing secret once', async () => {
    const res = await createEndpoint({
      url: 'https://hooks.example.com/whatisup?token=abc',
      events: ['message.received', 'message.failed'],
      description: 'CRM',
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.id).toMatch(/^whe_[0-9a-z]{26}$/);
    expect(created.secret).toMatch(SECRET);
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(created).toMatchObject({
      url: 'https://hooks.example.com/whatisup?token=abc',
      description: 'CRM',
      events: ['message.received', 'message.failed'],
      status: 'active',
      paused_at: null,
      disabled_at: null,
      disabled_reason: null,
      previous_secret_expires_at: null,
    });

    const got = await gw.request(`/v1/webhook-endpoints/${created.id}`, { key: alice.key });
    expect(got.status).toBe(200);
    const { secret, ...endpoint } = created;
    const gotBody = await got.json();
    expect(gotBody).toEqual(endpoint);
    expect(JSON.stringify(gotBody)).not.toContain(secret);

    const list = await (await gw.request('/v1/webhook-endpoints', { key: alice.key })).json();
    const listed = list.data.find((e: { id: string }) => e.id === created.id);
    expect(listed).toEqual(endpoint);
    expect(JSON.stringify(list)).not.toContain(secret.slice('whsec_'.length));
  });

  it('stores the secret sealed, never in the clear', async () => {
    const created = await newEndpoint();
    const row = await storedRow(created.id);
    const raw = created.secret.slice('whsec_'.length);
    expect(row!.secretSealed).toMatch(/^v1\./);
    expect(gw.secretBox.open(row!.secretSealed)).toBe(created.secret);
    const [dump] = await gw.dbHandle
      .sql`select row_to_json(w)::text as j from webhook_endpoints w where id = ${created.id}`;
    expect(dump!.j).not.toContain(raw);
  });

  it('defaults to every event type, removes duplicate types, and trims the description', async () => {
    const all = await newEndpoint();
    expect(all.events).toEqual([]);
    expect(all.description).toBeNull();
    const deduped = await newEndpoint({
      events: ['message.read', 'qr.updated', 'message.read', 'qr.updated'],
      description: '  spaced  ',
    });
    expect(deduped.events).toEqual(['message.read', 'qr.updated']);
    expect(deduped.description).toBe('spaced');
    expect((await storedRow(deduped.id))!.events).toEqual(['message.read', 'qr.updated']);
  });

  it('lists with a cursor, oldest first', async () => {
    const carol = await gw.customer('Carol');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await createEndpoint({ url: `https://hooks.example.com/${n}` }, carol.key);
      ids.push((await res.json()).id);
    }
    const first = await (await gw.request('/v1/webhook-endpoints?limit=2', { key: carol.key })).json();
    expect(first.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2));
    expect(first.next_cursor).toBe(ids[1]);
    const second = await (
      await gw.request(`/v1/webhook-endpoints?limit=2&cursor=${first.next_cursor}`, { key: carol.key })
    ).json();
    expect(second.data.map((e: { id: string }) => e.id)).toEqual([ids[2]]);
    expect(second.next_cursor).toBeNull();
  });

  it('updates url, events and description, one or several at a time', async () => {
    const created = await newEndpoint({ description: 'old', events: ['message.sent'] });
    const patch = (json: unknown) =>
      gw.request(`/v1/webhook-endpoints/${created.id}`, { method: 'PATCH', key: alice.key, json });

    const moved = await patch({ url: 'https://other.example.org/in' });
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({
      url: 'https://other.example.org/in',
      description: 'old',
      events: ['message.sent'],
    });

    const both = await (
      await patch({ events: ['instance.connected', 'instance.connected'], description: null })
    ).json();
    expect(both).toMatchObject({ events: ['instance.connected'], description: null });

    const all = await (await patch({ events: [], description: 'new' })).json();
    expect(all).toMatchObject({ events: [], description: 'new', url: 'https://other.example.org/in' });
    expect(Date.parse(all.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));

    const row = await storedRow(created.id);
    expect(gw.secretBox.open(row!.secretSealed)).toBe(created.secret);
  });

  it('pauses and resumes, idempotently', async () => {
    const created = await newEndpoint();
    const post = (verb: string) =>
      gw.request(`/v1/webhook-endpoints/${created.id}/${verb}`, { method: 'POST', key: alice.key });

    const paused = await post('pause');
    expect(paused.status).toBe(200);
    const pausedBody = await paused.json();
    expect(pausedBody.status).toBe('paused');
    expect(pausedBody.paused_at).toEqual(expect.any(String));

    const again = await (await post('pause')).json();
    expect(again).toEqual(pausedBody);

    const resumed = await (await post('resume')).json();
    expect(resumed).toMatchObject({ status: 'active', paused_at: null });
    const resumedAgain = await (await post('resume')).json();
    expect(resumedAgain).toEqual(resumed);

    const actions = (await auditOf(created.id)).map((a: { action: string }) => a.action);
    expect(actions.filter((a: string) => a === 'webhook_endpoint.pause')).toHaveLength(1);
    expect(actions.filter((a: string) => a === 'webhook_endpoint.resume')).toHaveLength(1);
  });

  it('shows an endpoint the service disabled, and resume re-enables it', async () => {
    const created = await newEndpoint();
    await gw.dbHandle.sql`
      update webhook_endpoints set disabled_at = now(), disabled_reason = 'receiver answered 410 Gone'
      where id = ${created.id}`;
    const got = await (await gw.request(`/v1/webhook-endpoints/${created.id}`, { key: alice.key })).json();
    expect(got).toMatchObject({ status: 'disabled', disabled_reason: 'receiver answered 410 Gone' });
    expect(got.disabled_at).toEqual(expect.any(String));

    const resumed = await gw.request(`/v1/webhook-endpoints/${created.id}/resume`, {
      method: 'POST',
      key: alice.key,
    });
    expect(await resumed.json()).toMatchObject({
      status: 'active',
      disabled_at: null,
      disabled_reason: null,
    });
    const [audit] = await auditOf(created.id);
    expect(audit).toMatchObject({
      action: 'webhook_endpoint.resume',
      metadata: { was_disabled: true, disabled_reason: 'receiver answered 410 Gone' },
    });
  });

  it('rotates the secret, keeping the previous one valid for the overlap window', async () => {
    const created = await newEndpoint();
    const rotate = (json?: unknown) =>
      gw.request(`/v1/webhook-endpoints/${created.id}/rotate-secret`, {
        method: 'POST',
        key: alice.key,
        ...(json !== undefined && { json }),
      });

    const before = Date.now();
    const res = await rotate();
    expect(res.status).toBe(200);
    const rotated = await res.json();
    secretsSeen.push(rotated.secret);
    expect(rotated.secret).toMatch(SECRET);
    expect(rotated.secret).not.toBe(created.secret);
    const until = Date.parse(rotated.previous_secret_expires_at);
    expect(until).toBeGreaterThanOrEqual(before + 86_400_000 - 5_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 86_400_000 + 5_000);

    let row = await storedRow(created.id);
    expect(gw.secretBox.open(row!.secretSealed)).toBe(rotated.secret);
    expect(gw.secretBox.open(row!.previousSecretSealed!)).toBe(created.secret);

    const got = await (await gw.request(`/v1/webhook-endpoints/${created.id}`, { key: alice.key })).json();
    expect(got.previous_secret_expires_at).toBe(rotated.previous_secret_expires_at);
    expect(got).not.toHaveProperty('secret');

    const short = await (await rotate({ overlap_seconds: 60 })).json();
    secretsSeen.push(short.secret);
    expect(Date.parse(short.previous_secret_expires_at) - Date.now()).toBeLessThanOrEqual(61_000);
    row = await storedRow(created.id);
    expect(gw.secretBox.open(row!.previousSecretSealed!)).toBe(rotated.secret);

    const immediate = await (await rotate({ overlap_seconds: 0 })).json();
    secretsSeen.push(immediate.secret);
    expect(immediate.previous_secret_expires_at).toBeNull();
    row = await storedRow(created.id);
    expect(row!.previousSecretSealed).toBeNull();
    expect(row!.previousSecretExpiresAt).toBeNull();
    expect(gw.secretBox.open(row!.secretSealed)).toBe(immediate.secret);

    const audit = await auditOf(created.id);
    expect(
      audit.slice(0, 3).map((a: { metadata: { overlap_seconds: number } }) => a.metadata.overlap_seconds),
    ).toEqual([0, 60, 86_400]);
    expect(JSON.stringify(audit)).not.toMatch(/whsec_|v1\./);
  });

  it('deletes', async () => {
    const created = await newEndpoint();
    const res = await gw.request(`/v1/webhook-endpoints/${created.id}`, { method: 'DELETE', key: alice.key });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await gw.request(`/v1/webhook-endpoints/${created.id}`, { key: alice.key })).status).toBe(404);
    expect(await storedRow(created.id)).toBeUndefined();
    const again = await gw.request(`/v1/webhook-endpoints/${created.id}`, {
      method: 'DELETE',
      key: alice.key,
    });
    expect(again.status).toBe(404);
  });

  it('writes one audit row per change with the correlation id, the URL origin only and no secret', async () => {
    const res = await gw.request('/v1/webhook-endpoints', {
      method: 'POST',
      key: alice.key,
      json: { url: 'https://hooks.example.com:8443/in/secret-path?token=s3cr3t', events: ['message.sent'] },
      headers: { 'X-Correlation-Id': 'corr-whe-1' },
    });
    const created = await res.json();
    secretsSeen.push(created.secret);
    const id = created.id;
    const call = (path: string, method: string, json?: unknown) =>
      gw.request(`/v1/webhook-endpoints/${id}${path}`, {
        method,
        key: alice.key,
        ...(json !== undefined && { json }),
      });
    await call('', 'PATCH', { url: 'https://next.example.com/in?token=t0ken', description: 'x' });
    await call('/pause', 'POST');
    await call('/resume', 'POST');
    await call('/rotate-secret', 'POST', { overlap_seconds: 10 });
    await call('', 'DELETE');

    const audit = await auditOf(id);
    expect(audit.map((a: { action: string }) => a.action)).toEqual([
      'webhook_endpoint.delete',
      'webhook_endpoint.rotate_secret',
      'webhook_endpoint.resume',
      'webhook_endpoint.pause',
      'webhook_endpoint.update',
      'webhook_endpoint.create',
    ]);
    for (const row of audit) {
      expect(row).toMatchObject({
        target: { type: 'webhook_endpoint', id },
        actor: { type: 'api_key', id: alice.keyId },
      });
    }
    expect(audit.at(-1)).toMatchObject({
      correlation_id: 'corr-whe-1',
      metadata: { url_origin: 'https://hooks.example.com:8443', events: ['message.sent'] },
    });
    expect(audit.at(-2).metadata).toEqual({
      changed: ['url', 'description'],
      url_origin: 'https://next.example.com',
    });
    expect(audit[0].metadata).toEqual({ url_origin: 'https://next.example.com' });
    const text = JSON.stringify(audit);
    expect(text).not.toMatch(/s3cr3t|t0ken|secret-path|whsec_/);
  });
});

describe('webhook endpoints: errors', () => {
  it.each([
    ['missing url', {}, 'body.url'],
    ['url not a string', { url: 42 }, 'body.url'],
    ['url null', { url: null }, 'body.url'],
    ['url an array', { url: ['https://hooks.example.com/'] }, 'body.url'],
    ['empty url', { url: '' }, 'body.url'],
    ['url of 10 KB', { url: `https://hooks.example.com/${'a'.repeat(10_240)}` }, 'body.url'],
    ['relative url', { url: '/hook' }, 'body.url'],
    ['url with spaces', { url: 'https://hooks.example.com/a b' }, 'body.url'],
    ['unknown field', { url: 'https://hooks.example.com/', secret: 'whsec_mine' }, 'body'],
    ['array body', [{ url: 'https://hooks.example.com/' }], 'body'],
    [
      'oversized description',
      { url: 'https://hooks.example.com/', description: 'x'.repeat(501) },
      'body.description',
    ],
    ['description not a string', { url: 'https://hooks.example.com/', description: 7 }, 'body.description'],
    [
      'description with control characters',
      { url: 'https://hooks.example.com/', description: 'a\u0000b' },
      'body.description',
    ],
  ])('400 validation_failed for %s, naming the field', async (_label, json, path) => {
    const res = await createEndpoint(json);
    expect(res.status).toBe(400);
    const body = await res.json();
    expectValidationFailure(body, path);
    expect(body.correlation_id).toBeTruthy();
  });

  it('400 for malformed JSON, 415 for a non-JSON body, 413 for an oversized body', async () => {
    const malformed = await gw.request('/v1/webhook-endpoints', {
      method: 'POST',
      key: alice.key,
      body: '{"url": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('validation_failed');

    const form = await gw.request('/v1/webhook-endpoints', {
      method: 'POST',
      key: alice.key,
      body: 'url=https://hooks.example.com/',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);

    const huge = await createEndpoint({ url: `https://hooks.example.com/${'a'.repeat(70 * 1024)}` });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.code).toBe('payload_too_large');
  });

  it('400 for an unknown event type, naming it', async () => {
    const res = await createEndpoint({
      url: 'https://hooks.example.com/',
      events: ['message.received', 'message.teleported'],
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues).toEqual([
      { path: 'body.events.1', message: expect.stringContaining('unknown event type "message.teleported"') },
    ]);
    expect(body.error.message).toContain('message.teleported');
  });

  it.each([
    ['a string instead of a list', 'message.received', 'body.events'],
    ['a number in the list', [42], 'body.events.0'],
    ['null in the list', [null], 'body.events.0'],
    ['an object', { 'message.received': true }, 'body.events'],
    ['more than 50 entries', Array.from({ length: 51 }, () => 'message.sent'), 'body.events'],
  ])('400 for events that are %s', async (_label, events, path) => {
    const res = await createEndpoint({ url: 'https://hooks.example.com/', events });
    expect(res.status).toBe(400);
    expectValidationFailure(await res.json(), path);
  });

  it('400 for an empty, unknown or invalid update', async () => {
    const created = await newEndpoint();
    for (const [json, path] of [
      [{}, 'body'],
      [{ secret: 'whsec_x' }, 'body'],
      [{ url: 5 }, 'body.url'],
      [{ events: ['nope'] }, 'body.events.0'],
      [{ description: 'x'.repeat(501) }, 'body.description'],
    ] as const) {
      const res = await gw.request(`/v1/webhook-endpoints/${created.id}`, {
        method: 'PATCH',
        key: alice.key,
        json,
      });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expectValidationFailure(await res.json(), path);
    }
    const unchanged = await (
      await gw.request(`/v1/webhook-endpoints/${created.id}`, { key: alice.key })
    ).json();
    expect(unchanged.updated_at).toBe(created.updated_at);
  });

  it('400 for an overlap outside 0..604800 or not an integer', async () => {
    const created = await newEndpoint();
    for (const overlap_seconds of [-1, 604_801, 1.5, '60', null]) {
      const res = await gw.request(`/v1/webhook-endpoints/${created.id}/rotate-secret`, {
        method: 'POST',
        key: alice.key,
        json: { overlap_seconds },
      });
      expect(res.status, String(overlap_seconds)).toBe(400);
      expectValidationFailure(await res.json(), 'body.overlap_seconds');
    }
    const unknown = await gw.request(`/v1/webhook-endpoints/${created.id}/rotate-secret`, {
      method: 'POST',
      key: alice.key,
      json: { overlap: 5 },
    });
    expect(unknown.status).toBe(400);
    expect(gw.secretBox.open((await storedRow(created.id))!.secretSealed)).toBe(created.secret);
  });

  it('404 for ids that are malformed, hostile or of another type', async () => {
    for (const id of [
      'nope',
      '..%2f..%2fetc%2fpasswd',
      'whe_',
      `whe_${'a'.repeat(500)}`,
      "whe_' or 1=1 --",
      '%00',
      'ins_01jq0a3k5v7x9z2b4d6f8h0j2k',
      'whe_01jq0a3k5v7x9z2b4d6f8h0j2k',
    ]) {
      const res = await gw.request(`/v1/webhook-endpoints/${id}`, { key: alice.key });
      expect(res.status, id).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
      const pause = await gw.request(`/v1/webhook-endpoints/${id}/pause`, { method: 'POST', key: alice.key });
      expect(pause.status, id).toBe(404);
    }
  });

  it('400 for a bad limit or cursor', async () => {
    for (const query of [
      'limit=0',
      'limit=101',
      'cursor=garbage',
      'cursor=ins_01jq0a3k5v7x9z2b4d6f8h0j2k',
      'x=1',
    ]) {
      expect((await gw.request(`/v1/webhook-endpoints?${query}`, { key: alice.key })).status, query).toBe(
        400,
      );
    }
  });

  it('401 without an API key', async () => {
    const res = await gw.request('/v1/webhook-endpoints', {
      method: 'POST',
      json: { url: 'https://hooks.example.com/' },
    });
    expect(res.status).toBe(401);
    expect((await gw.request('/v1/webhook-endpoints')).status).toBe(401);
  });
});

const PRIVATE_HOSTS = [
  'localhost',
  '127.0.0.1',
  '127.1',
  '2130706433',
  '0x7f000001',
  '0.0.0.0',
  '[::1]',
  '[::ffff:127.0.0.1]',
  '10.0.0.1',
  '172.16.0.1',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '[fd00::1]',
  '[fe80::1]',
];
const REFUSED_URLS = [
  ...PRIVATE_HOSTS.map((host) => `http://${host}/hook`),
  'ftp://hooks.example.com/hook',
  'https://user:pass@hooks.example.com/hook',
  'https://user@hooks.example.com/hook',
  'file:///etc/passwd',
  'javascript:alert(1)',
];

describe('webhook endpoints: security', () => {
  it.each(REFUSED_URLS)('refuses %s at create, with the guard’s reason on body.url', async (url) => {
    const res = await createEndpoint({ url });
    expect(res.status).toBe(400);
    const body = await res.json();
    const check = checkWebhookUrl(url);
    expect(check.ok).toBe(false);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues).toEqual([{ path: 'body.url', message: check.ok ? '' : check.reason }]);
  });

  it.each(REFUSED_URLS)('refuses %s at update and keeps the stored URL', async (url) => {
    const created = await newEndpoint();
    const res = await gw.request(`/v1/webhook-endpoints/${created.id}`, {
      method: 'PATCH',
      key: alice.key,
      json: { url },
    });
    expect(res.status).toBe(400);
    expectValidationFailure(await res.json(), 'body.url');
    expect((await storedRow(created.id))!.url).toBe(created.url);
  });

  it('accepts a private target only when the deployment allows it', async () => {
    const dev = await startTestGateway({ config: { webhookAllowPrivateTargets: true } });
    try {
      const customer = await dev.customer();
      const res = await dev.request('/v1/webhook-endpoints', {
        method: 'POST',
        key: customer.key,
        json: { url: 'http://127.0.0.1:9/hook' },
      });
      expect(res.status).toBe(201);
      const created = await res.json();
      expect(created.url).toBe('http://127.0.0.1:9/hook');
      const scheme = await dev.request('/v1/webhook-endpoints', {
        method: 'POST',
        key: customer.key,
        json: { url: 'ftp://127.0.0.1/hook' },
      });
      expect(scheme.status).toBe(400);
    } finally {
      await dev.close();
    }
  });

  it("never shows or touches another customer's endpoint (404 on every route, absent from the list)", async () => {
    const created = await newEndpoint({ description: 'alice only' });
    const base = `/v1/webhook-endpoints/${created.id}`;
    const attempts: [string, string, unknown?][] = [
      [base, 'GET'],
      [base, 'PATCH', { url: 'https://evil.example.net/steal' }],
      [`${base}/pause`, 'POST'],
      [`${base}/resume`, 'POST'],
      [`${base}/rotate-secret`, 'POST', { overlap_seconds: 0 }],
      [base, 'DELETE'],
    ];
    for (const [path, method, json] of attempts) {
      const res = await gw.request(path, { method, key: bob.key, ...(json !== undefined && { json }) });
      expect(res.status, `${method} ${path}`).toBe(404);
      const body = await res.json();
      expect(body.error.code).toBe('not_found');
      expect(JSON.stringify(body)).not.toContain('whsec_');
    }
    const bobs = await (await gw.request('/v1/webhook-endpoints', { key: bob.key })).json();
    expect(bobs.data.map((e: { id: string }) => e.id)).not.toContain(created.id);

    const { secret, ...endpoint } = created;
    const still = await gw.request(base, { key: alice.key });
    expect(await still.json()).toEqual(endpoint);
    expect(gw.secretBox.open((await storedRow(created.id))!.secretSealed)).toBe(secret);
    expect(await auditOf(created.id, bob.key)).toEqual([]);
    expect(await auditOf(created.id)).toHaveLength(1);
  });

  it('keeps API keys and signing secrets out of the logs', async () => {
    const created = await newEndpoint();
    const rotated = await (
      await gw.request(`/v1/webhook-endpoints/${created.id}/rotate-secret`, {
        method: 'POST',
        key: alice.key,
      })
    ).json();
    secretsSeen.push(rotated.secret);
    expect(secretsSeen.length).toBeGreaterThanOrEqual(2);
    const logs = gw.logs.join('\n');
    expect(logs).toContain('/v1/webhook-endpoints');
    for (const key of [alice.key, bob.key]) expect(logs).not.toContain(key);
    for (const secret of secretsSeen) {
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(secret.slice('whsec_'.length));
    }
    expect(logs).not.toContain('whsec_');
  });
});
