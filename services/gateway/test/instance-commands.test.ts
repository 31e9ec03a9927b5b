// Instance commands through the API (qr, pairing-code, logout, restart, delete) against a stand-in worker
// that answers `<p>.cmd.<instanceId>.<verb>` like the real one would. No WhatsApp session is involved.
import { findInstance, listAuditEvents } from '@whatisup/db';
import { connect } from 'nats';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NATS_URL, startTestGateway, type TestGateway } from './harness.ts';
import type { CommandHandler } from './stand-in-worker.ts';

let gw: TestGateway;
let alice: { id: string; key: string };
let bob: { id: string; key: string };

const COMMAND_TIMEOUT_MS = 300;

beforeAll(async () => {
  gw = await startTestGateway({ commandTimeoutMs: COMMAND_TIMEOUT_MS });
  alice = await gw.customer('Alice');
  bob = await gw.customer('Bob');
});
afterAll(() => gw.close());

let names = 0;
async function createInstance(key = alice.key): Promise<string> {
  const res = await gw.request('/v1/instances', { method: 'POST', key, json: { name: `i-${++names}` } });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

function answer(handler: CommandHandler): void {
  gw.standIn!.onCommand = handler;
}

const state = (status: string, extra: Record<string, unknown> = {}) => ({
  ok: true as const,
  data: { status, phone: null, push_name: null, last_error: null, worker_id: 'stand-in', ...extra },
});
const refuse = (code: string, message: string) => ({ ok: false as const, error: { code, message } });

beforeEach(() => answer(() => refuse('unknown_verb', 'not set up by this test')));

describe('qr', () => {
  const QR = '2@AbCdEf0123456789,publickey=,identity=,adv=';
  const expiresAt = '2026-11-28T10:00:30.000Z';

  it('returns the current QR as JSON, not cacheable, with the correlation id carried to the worker', async () => {
    const id = await createInstance();
    answer((_id, verb) =>
      verb === 'qr' ? { ok: true, data: { qr: QR, expires_at: expiresAt } } : 'no_reply',
    );
    const res = await gw.request(`/v1/instances/${id}/qr`, {
      key: alice.key,
      headers: { 'X-Correlation-Id': 'corr-qr-1' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ qr: QR, expires_at: expiresAt });
    expect(gw.standIn!.commands.at(-1)).toMatchObject({
      instanceId: id,
      verb: 'qr',
      correlationId: 'corr-qr-1',
    });
  });

  it('returns a PNG with Accept: image/png', async () => {
    const id = await createInstance();
    answer(() => ({ ok: true, data: { qr: QR, expires_at: expiresAt } }));
    const res = await gw.request(`/v1/instances/${id}/qr`, {
      key: alice.key,
      headers: { Accept: 'image/png' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('X-QR-Expires-At')).toBe(expiresAt);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.length).toBeGreaterThan(500);

    const refused = await gw.request(`/v1/instances/${id}/qr`, {
      key: alice.key,
      headers: { Accept: 'image/png;q=0, application/json' },
    });
    expect(refused.headers.get('Content-Type')).toMatch(/^application\/json/);
  });

  it('409 qr_unavailable with the live status and the reason in plain words, never an empty 200', async () => {
    const id = await createInstance();
    const reason = 'The instance is already connected: no QR code is needed.';
    answer((_id, verb) =>
      verb === 'qr' ? refuse('qr_unavailable', reason) : state('connected', { phone: '4915123456789' }),
    );
    for (const accept of ['application/json', 'image/png']) {
      const res = await gw.request(`/v1/instances/${id}/qr`, { key: alice.key, headers: { Accept: accept } });
      expect(res.status).toBe(409);
      expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
      const body = await res.json();
      expect(body.error).toEqual({ code: 'qr_unavailable', message: reason, instance_status: 'connected' });
      expect(res.headers.get('Retry-After')).toBeNull();
    }
  });

  it('409 with Retry-After while a QR is on its way; the status falls back to the stored one', async () => {
    const id = await createInstance();
    answer((_id, verb) =>
      verb === 'qr' ? refuse('qr_unavailable', 'A QR code is being generated; retry shortly.') : 'no_reply',
    );
    const res = await gw.request(`/v1/instances/${id}/qr`, { key: alice.key });
    expect(res.status).toBe(409);
    expect(res.headers.get('Retry-After')).toBe('3');
    expect((await res.json()).error).toMatchObject({ code: 'qr_unavailable', instance_status: 'created' });
  });

  it('429 instance_throttled when the worker protects the number from new QR codes', async () => {
    const id = await createInstance();
    const message = 'Too many new QR codes for this instance recently; the next one is allowed in 120 s.';
    answer(() => refuse('qr_throttled', message));
    const res = await gw.request(`/v1/instances/${id}/qr`, { key: alice.key });
    expect(res.status).toBe(429);
    expect((await res.json()).error).toMatchObject({ code: 'instance_throttled', message });
  });
});

describe('no worker, slow worker, broken worker', () => {
  it('503 instance_unavailable with Retry-After when no worker holds the instance', async () => {
    const id = await createInstance();
    // The stand-in lets go of it (as a worker that moved or lost it would): nobody answers its subject.
    await gw.nats.request(
      gw.bus.subjects.worker('stand-in', 'release'),
      JSON.stringify({ instance_id: id, logout: false }),
    );
    for (const [method, path] of [
      ['GET', 'qr'],
      ['POST', 'logout'],
      ['POST', 'restart'],
    ] as const) {
      const started = Date.now();
      const res = await gw.request(`/v1/instances/${id}/${path}`, { method, key: alice.key });
      expect(res.status, path).toBe(503);
      expect(Date.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect((await res.json()).error.code).toBe('instance_unavailable');
    }
  });

  it('504 command_timeout when the worker does not answer in time', async () => {
    const id = await createInstance();
    answer(() => 'no_reply');
    const res = await gw.request(`/v1/instances/${id}/restart`, { method: 'POST', key: alice.key });
    expect(res.status).toBe(504);
    const body = await res.json();
    expect(body.error.code).toBe('command_timeout');
    expect(body.error.message).toContain(`${COMMAND_TIMEOUT_MS} ms`);
  });

  it('502 worker_error for a refusal the gateway does not know or a malformed reply', async () => {
    const id = await createInstance();
    answer(() => refuse('disk_on_fire', 'cannot'));
    const unknown = await gw.request(`/v1/instances/${id}/logout`, { method: 'POST', key: alice.key });
    expect(unknown.status).toBe(502);
    expect((await unknown.json()).error).toMatchObject({
      code: 'worker_error',
      message: expect.stringContaining('disk_on_fire'),
    });

    answer(() => ({ ok: true, data: { nonsense: true } }));
    const malformed = await gw.request(`/v1/instances/${id}/logout`, { method: 'POST', key: alice.key });
    expect(malformed.status).toBe(502);
    expect((await malformed.json()).error.code).toBe('worker_error');
  });
});

describe('pairing code', () => {
  it('returns the code the worker asked WhatsApp for, and audits it', async () => {
    const id = await createInstance();
    answer((_id, verb, payload) =>
      verb === 'pairing-code'
        ? { ok: true, data: { code: `CODE${String(payload.phone).slice(-4)}` } }
        : 'no_reply',
    );
    const res = await gw.request(`/v1/instances/${id}/pairing-code`, {
      method: 'POST',
      key: alice.key,
      json: { phone: '4915123456789' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 'CODE6789' });
    expect(gw.standIn!.commands.at(-1)).toMatchObject({
      verb: 'pairing-code',
      payload: { phone: '4915123456789' },
    });
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: id, limit: 10 });
    expect(audit.items.map((e) => e.action)).toContain('instance.pairing_code');
  });

  it.each([
    ['missing', {}],
    ['with +', { phone: '+4915123456789' }],
    ['with spaces', { phone: '49 151 2345 6789' }],
    ['with dashes', { phone: '49-151-23456789' }],
    ['too short', { phone: '1234567' }],
    ['too long', { phone: '1234567890123456' }],
    ['a number', { phone: 4915123456789 }],
    ['an array', { phone: ['4915123456789'] }],
    ['leading zero', { phone: '015123456789' }],
    ['arabic-indic digits', { phone: '٤٩١٥١٢٣٤٥٦٧٨٩' }],
    ['unknown field', { phone: '4915123456789', admin: true }],
  ])('400 for a phone %s, saying what is expected', async (_label, json) => {
    const id = await createInstance();
    const res = await gw.request(`/v1/instances/${id}/pairing-code`, {
      method: 'POST',
      key: alice.key,
      json,
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('validation_failed');
    if (!('admin' in json))
      expect(body.error.issues[0]).toMatchObject({
        path: 'body.phone',
        message: expect.stringContaining('digits only'),
      });
  });

  it('409 instance_already_linked when the instance is linked', async () => {
    const id = await createInstance();
    answer(() => refuse('instance_already_linked', 'The instance is already linked.'));
    const res = await gw.request(`/v1/instances/${id}/pairing-code`, {
      method: 'POST',
      key: alice.key,
      json: { phone: '4915123456789' },
    });
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('instance_already_linked');
  });
});

describe('logout and restart', () => {
  it('logout returns the instance in the state the worker reports, stores it and audits it', async () => {
    const id = await createInstance();
    answer((_id, verb) =>
      verb === 'logout'
        ? state('disconnected', {
            last_error: { code: 'logged_out', message: 'Logged out through the API.' },
          })
        : 'no_reply',
    );
    const res = await gw.request(`/v1/instances/${id}/logout`, { method: 'POST', key: alice.key });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id,
      status: 'disconnected',
      last_error: { code: 'logged_out', message: 'Logged out through the API.' },
    });
    expect((await findInstance(gw.db, alice.id, id))?.status).toBe('disconnected');
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: id, limit: 10 });
    expect(audit.items[0]).toMatchObject({ action: 'instance.logout', metadata: { status: 'disconnected' } });
  });

  it('restart stores the reported state unless an event was projected meanwhile (the event is newer)', async () => {
    const id = await createInstance();
    answer(() => state('connecting'));
    const res = await gw.request(`/v1/instances/${id}/restart`, { method: 'POST', key: alice.key });
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('connecting');

    answer(async () => {
      // The projector applies a newer event while the command is in flight.
      await gw.dbHandle.sql`
        update instances set status = 'qr_required', last_event_id = 'evt_01jq0a3k5v7x9z2b4d6f8h0j2k'
        where id = ${id}`;
      return state('connecting');
    });
    const raced = await gw.request(`/v1/instances/${id}/restart`, { method: 'POST', key: alice.key });
    expect(raced.status).toBe(200);
    expect((await raced.json()).status).toBe('qr_required');
    expect((await findInstance(gw.db, alice.id, id))?.status).toBe('qr_required');
  });

  it('429 instance_throttled when restarts of the number are throttled', async () => {
    const id = await createInstance();
    answer(() => refuse('restart_throttled', 'Too many reconnects of this number recently.'));
    const res = await gw.request(`/v1/instances/${id}/restart`, { method: 'POST', key: alice.key });
    expect(res.status).toBe(429);
    expect((await res.json()).error.code).toBe('instance_throttled');
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: id, limit: 10 });
    expect(audit.items.map((e) => e.action)).not.toContain('instance.restart');
  });
});

describe('delete', () => {
  it('releases the instance with logout on the worker holding it, then deletes it', async () => {
    const id = await createInstance();
    expect(gw.standIn!.held.has(id)).toBe(true);
    const res = await gw.request(`/v1/instances/${id}`, { method: 'DELETE', key: alice.key });
    expect(res.status).toBe(204);
    expect(gw.standIn!.releases).toContainEqual({ instance_id: id, logout: true });
    expect(gw.standIn!.held.has(id)).toBe(false);
    expect((await gw.request(`/v1/instances/${id}`, { key: alice.key })).status).toBe(404);
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: id, limit: 10 });
    expect(audit.items[0]).toMatchObject({
      action: 'instance.delete',
      metadata: { worker_id: 'stand-in', worker_released: true, release: 'released' },
    });
  });

  it('still deletes when the worker is gone, and the audit row says so', async () => {
    const id = await createInstance();
    await gw.dbHandle.sql`update instances set worker_id = 'w-gone' where id = ${id}`;
    const res = await gw.request(`/v1/instances/${id}`, { method: 'DELETE', key: alice.key });
    expect(res.status).toBe(204);
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: id, limit: 10 });
    expect(audit.items[0]).toMatchObject({
      action: 'instance.delete',
      metadata: { worker_id: 'w-gone', worker_released: false, release: 'worker_unreachable' },
    });
  });

  it('504 and nothing deleted when the worker does not answer the release in time', async () => {
    const id = await createInstance();
    await gw.dbHandle.sql`update instances set worker_id = 'w-hung' where id = ${id}`;
    // A worker that takes requests and never answers them.
    const hung = await connect({ servers: NATS_URL });
    hung.subscribe(gw.bus.subjects.worker('w-hung', 'release'), { callback: () => {} });
    await hung.flush();
    try {
      const res = await gw.request(`/v1/instances/${id}`, { method: 'DELETE', key: alice.key });
      expect(res.status).toBe(504);
      expect((await res.json()).error.code).toBe('command_timeout');
      expect((await gw.request(`/v1/instances/${id}`, { key: alice.key })).status).toBe(200);
    } finally {
      await hung.close();
    }
  });
});

describe('security', () => {
  it("404 for another customer's instance on every command route, and the worker never hears of it", async () => {
    const id = await createInstance(alice.key);
    answer(() => state('connected'));
    const before = gw.standIn!.commands.length;
    const releasesBefore = gw.standIn!.releases.length;
    for (const [method, path, json] of [
      ['GET', `/v1/instances/${id}/qr`, undefined],
      ['POST', `/v1/instances/${id}/pairing-code`, { phone: '4915123456789' }],
      ['POST', `/v1/instances/${id}/logout`, undefined],
      ['POST', `/v1/instances/${id}/restart`, undefined],
      ['DELETE', `/v1/instances/${id}`, undefined],
    ] as const) {
      const res = await gw.request(path, { method, key: bob.key, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    expect(gw.standIn!.commands.length).toBe(before);
    expect(gw.standIn!.releases.length).toBe(releasesBefore);
  });

  it('404 for malformed or hostile instance ids without asking any worker', async () => {
    const before = gw.standIn!.commands.length;
    for (const id of ['nope', '..%2f..%2fetc', 'ins_*', 'ins_>', `ins_${'a'.repeat(300)}`]) {
      const res = await gw.request(`/v1/instances/${id}/qr`, { key: alice.key });
      expect(res.status, id).toBe(404);
    }
    expect(gw.standIn!.commands.length).toBe(before);
  });
});
