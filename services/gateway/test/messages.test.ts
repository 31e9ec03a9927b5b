// Sending messages through the API: validation of every field and type, Idempotency-Key, the audit row,
// what the worker is asked to send, and what happens when it cannot take the message. The stand-in worker
// accepts sends like the real one (fixes the WhatsApp id from ours); no WhatsApp session is involved.
import { newId, waMessageIdFor } from '@whatisup/contracts';
import { listAuditEvents } from '@whatisup/db';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';
import type { CommandHandler } from './stand-in-worker.ts';

let gw: TestGateway;
let alice: { id: string; key: string };
let bob: { id: string; key: string };
let instanceId: string;
let bobInstanceId: string;

const acceptSends: CommandHandler = (_id, verb, payload) =>
  verb === 'send'
    ? {
        ok: true,
        data: {
          message_id: payload.message_id,
          wa_message_id: waMessageIdFor(String(payload.message_id)),
          status: 'queued',
        },
      }
    : { ok: false, error: { code: 'unknown_verb', message: verb } };

beforeAll(async () => {
  gw = await startTestGateway({ commandTimeoutMs: 300 });
  alice = await gw.customer('Alice');
  bob = await gw.customer('Bob');
  const create = async (key: string) =>
    (await (await gw.request('/v1/instances', { method: 'POST', key, json: { name: 'main' } })).json()).id;
  instanceId = await create(alice.key);
  bobInstanceId = await create(bob.key);
});
afterAll(() => gw.close());
beforeEach(() => {
  gw.standIn!.onCommand = acceptSends;
});

function send(json: unknown, init: { key?: string; instance?: string; idempotencyKey?: string } = {}) {
  return gw.request(`/v1/instances/${init.instance ?? instanceId}/messages`, {
    method: 'POST',
    key: init.key ?? alice.key,
    json,
    ...(init.idempotencyKey !== undefined ? { headers: { 'Idempotency-Key': init.idempotencyKey } } : {}),
  });
}

const sends = () => gw.standIn!.commands.filter((c) => c.verb === 'send');
const TO = '4915123456789';

describe('messages: happy path', () => {
  it('queues a text: 202 with the id, the worker gets exactly that text, GET shows it, an audit row exists', async () => {
    const before = sends().length;
    const res = await send({ to: TO, type: 'text', text: 'Hello from the API ✓' });
    expect(res.status).toBe(202);
    const message = await res.json();
    expect(message).toMatchObject({ status: 'queued', to: TO, type: 'text', direction: 'out', error: null });
    expect(message.id).toMatch(/^msg_[0-9a-z]{26}$/);
    expect(message.wa_message_id).toBe(waMessageIdFor(message.id));

    expect(sends().length).toBe(before + 1);
    expect(sends().at(-1)!.payload).toEqual({
      message_id: message.id,
      customer_id: alice.id,
      to: TO,
      content: { type: 'text', text: 'Hello from the API ✓' },
      reply_to: null,
    });

    const got = await gw.request(`/v1/instances/${instanceId}/messages/${message.id}`, { key: alice.key });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      id: message.id,
      instance_id: instanceId,
      status: 'queued',
      content: { text: 'Hello from the API ✓' },
      wa_message_id: message.wa_message_id,
      error: null,
    });

    const audit = await listAuditEvents(gw.db, alice.id, { targetId: message.id, limit: 10 });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({
      action: 'message.send',
      targetType: 'message',
      metadata: { instance_id: instanceId, to: TO, type: 'text' },
    });
    expect(JSON.stringify(audit.items[0]!.metadata)).not.toContain('Hello');
  });

  it.each([
    ['image', { url: 'https://cdn.example.com/a.jpg', caption: 'look', mimetype: 'image/jpeg' }],
    ['video', { url: 'https://cdn.example.com/a.mp4' }],
    ['audio', { url: 'https://cdn.example.com/voice.ogg', mimetype: 'audio/ogg; codecs=opus' }],
    ['document', { url: 'http://files.example.org/r.pdf', filename: 'report 2026.pdf', caption: 'Q3' }],
  ])('queues %s by URL and passes the media fields on', async (type, fields) => {
    const res = await send({ to: TO, type, ...fields });
    expect(res.status).toBe(202);
    expect(sends().at(-1)!.payload.content).toEqual({
      type,
      url: fields.url,
      caption: 'caption' in fields ? fields.caption : null,
      filename: 'filename' in fields ? fields.filename : null,
      mimetype: 'mimetype' in fields ? fields.mimetype : null,
    });
  });

  it('queues a location', async () => {
    const res = await send({ to: TO, type: 'location', latitude: 52.52, longitude: 13.405, name: 'Berlin' });
    expect(res.status).toBe(202);
    expect(sends().at(-1)!.payload.content).toEqual({
      type: 'location',
      latitude: 52.52,
      longitude: 13.405,
      name: 'Berlin',
      address: null,
    });
  });

  it('resolves reply_to and a reaction target to WhatsApp references (ours and received ones)', async () => {
    const original = await (await send({ to: TO, type: 'text', text: 'original' })).json();
    const reply = await send({ to: TO, type: 'text', text: 'a reply', reply_to: original.id });
    expect(reply.status).toBe(202);
    expect(sends().at(-1)!.payload.reply_to).toEqual({
      wa_message_id: original.wa_message_id,
      from_me: true,
      chat: TO,
      text: 'original',
    });

    const reaction = await send({ to: TO, type: 'reaction', emoji: '👍🏽', message_id: original.id });
    expect(reaction.status).toBe(202);
    expect(sends().at(-1)!.payload.content).toEqual({
      type: 'reaction',
      emoji: '👍🏽',
      target: { wa_message_id: original.wa_message_id, from_me: true, chat: TO, text: 'original' },
    });

    // A received message, as the projector stores it: direction in, the sender in the payload.
    const inboundId = newId('message');
    await gw.dbHandle.sql`
      insert into messages (id, customer_id, instance_id, direction, "to", type, payload, status, wa_message_id)
      values (${inboundId}, ${alice.id}, ${instanceId}, 'in', '4930000000', 'text',
        ${JSON.stringify({ from: '447700900123', text: 'hi there' })}::jsonb, 'delivered', 'ABCDEF123456')`;
    const quoted = await send({ to: '447700900123', type: 'text', text: 'hello back', reply_to: inboundId });
    expect(quoted.status).toBe(202);
    expect(sends().at(-1)!.payload.reply_to).toEqual({
      wa_message_id: 'ABCDEF123456',
      from_me: false,
      chat: '447700900123',
      text: 'hi there',
    });
    const listed = await (
      await gw.request(`/v1/instances/${instanceId}/messages?limit=1`, { key: alice.key })
    ).json();
    expect(listed.data[0]).toMatchObject({ id: (await quoted.json()).id, direction: 'out', from: null });
    const inbound = await (
      await gw.request(`/v1/instances/${instanceId}/messages/${inboundId}`, { key: alice.key })
    ).json();
    expect(inbound).toMatchObject({ direction: 'in', from: '447700900123', status: 'delivered' });
  });

  it('lists newest first with a cursor and a status filter', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await (await send({ to: TO, type: 'text', text: `n${i}` })).json()).id);
    const first = await (
      await gw.request(`/v1/instances/${instanceId}/messages?limit=2`, { key: alice.key })
    ).json();
    expect(first.data.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    const second = await (
      await gw.request(`/v1/instances/${instanceId}/messages?limit=2&cursor=${first.next_cursor}`, {
        key: alice.key,
      })
    ).json();
    expect(second.data[0].id).toBe(ids[0]);

    const failedOnly = await (
      await gw.request(`/v1/instances/${instanceId}/messages?status=failed`, { key: alice.key })
    ).json();
    expect(failedOnly.data.every((m: { status: string }) => m.status === 'failed')).toBe(true);
    for (const query of ['limit=0', 'status=lost', 'cursor=ins_01jq0a3k5v7x9z2b4d6f8h0j2k', 'x=1']) {
      expect(
        (await gw.request(`/v1/instances/${instanceId}/messages?${query}`, { key: alice.key })).status,
        query,
      ).toBe(400);
    }
  });
});

describe('messages: validation', () => {
  const big = 'x'.repeat(10 * 1024);
  it.each([
    ['missing to', { type: 'text', text: 'hi' }, 'body.to'],
    ['to with +', { to: '+4915123456789', type: 'text', text: 'hi' }, 'body.to'],
    ['to with spaces', { to: '49 151 23456789', type: 'text', text: 'hi' }, 'body.to'],
    ['to with dashes', { to: '49-151-23456789', type: 'text', text: 'hi' }, 'body.to'],
    ['to as a number', { to: 4915123456789, type: 'text', text: 'hi' }, 'body.to'],
    ['to as an array', { to: [TO], type: 'text', text: 'hi' }, 'body.to'],
    ['to too short', { to: '1234567', type: 'text', text: 'hi' }, 'body.to'],
    ['to too long', { to: '1234567890123456', type: 'text', text: 'hi' }, 'body.to'],
    ['to with a path', { to: '../../etc/passwd', type: 'text', text: 'hi' }, 'body.to'],
    ['to with full-width digits', { to: '４９１５１２３４５６７８９', type: 'text', text: 'hi' }, 'body.to'],
    ['to as a JID', { to: `${TO}@s.whatsapp.net`, type: 'text', text: 'hi' }, 'body.to'],
    ['to of 10 KB', { to: '4'.repeat(10 * 1024), type: 'text', text: 'hi' }, 'body.to'],
    ['missing type', { to: TO, text: 'hi' }, 'body.type'],
    ['unknown type', { to: TO, type: 'sticker', url: 'https://a.example.com/s.webp' }, 'body.type'],
    ['type as an array', { to: TO, type: ['text'], text: 'hi' }, 'body.type'],
    ['text missing', { to: TO, type: 'text' }, 'body.text'],
    ['text empty', { to: TO, type: 'text', text: '' }, 'body.text'],
    ['text of 4097 characters', { to: TO, type: 'text', text: 'a'.repeat(4097) }, 'body.text'],
    ['text of 10 KB', { to: TO, type: 'text', text: big }, 'body.text'],
    ['text as an object', { to: TO, type: 'text', text: { $gt: '' } }, 'body.text'],
    ['text with NUL', { to: TO, type: 'text', text: 'a\u0000b' }, 'body.text'],
    ['text with a lone surrogate', { to: TO, type: 'text', text: 'a\ud800b' }, 'body.text'],
    ['url on a text', { to: TO, type: 'text', text: 'hi', url: 'https://a.example.com/x' }, 'body.url'],
    ['url missing', { to: TO, type: 'image' }, 'body.url'],
    ['url not a URL', { to: TO, type: 'image', url: '../../etc/passwd' }, 'body.url'],
    ['url with file scheme', { to: TO, type: 'image', url: 'file:///etc/passwd' }, 'body.url'],
    ['url with ftp scheme', { to: TO, type: 'document', url: 'ftp://files.example.com/a.pdf' }, 'body.url'],
    ['url to loopback', { to: TO, type: 'image', url: 'http://127.0.0.1:8080/a.jpg' }, 'body.url'],
    ['url to decimal loopback', { to: TO, type: 'image', url: 'http://2130706433/a.jpg' }, 'body.url'],
    [
      'url to metadata',
      { to: TO, type: 'image', url: 'http://169.254.169.254/latest/meta-data' },
      'body.url',
    ],
    ['url to RFC1918', { to: TO, type: 'image', url: 'https://10.1.2.3/a.jpg' }, 'body.url'],
    ['url to IPv6 loopback', { to: TO, type: 'image', url: 'http://[::1]/a.jpg' }, 'body.url'],
    ['url to localhost', { to: TO, type: 'image', url: 'http://localhost/a.jpg' }, 'body.url'],
    ['url to a cluster name', { to: TO, type: 'image', url: 'http://redis.default.svc/a' }, 'body.url'],
    ['url with credentials', { to: TO, type: 'image', url: 'https://u:p@cdn.example.com/a.jpg' }, 'body.url'],
    [
      'url over 2048',
      { to: TO, type: 'image', url: `https://cdn.example.com/${'a'.repeat(2040)}` },
      'body.url',
    ],
    [
      'caption on audio',
      { to: TO, type: 'audio', url: 'https://a.example.com/a.ogg', caption: 'x' },
      'body.caption',
    ],
    [
      'caption over 1024',
      { to: TO, type: 'image', url: 'https://a.example.com/a.jpg', caption: big },
      'body.caption',
    ],
    [
      'filename on image',
      { to: TO, type: 'image', url: 'https://a.example.com/a.jpg', filename: 'a.jpg' },
      'body.filename',
    ],
    [
      'filename with a path',
      { to: TO, type: 'document', url: 'https://a.example.com/a', filename: '../../etc/passwd' },
      'body.filename',
    ],
    [
      'filename with a backslash',
      { to: TO, type: 'document', url: 'https://a.example.com/a', filename: '..\\x.pdf' },
      'body.filename',
    ],
    [
      'filename of 10 KB',
      { to: TO, type: 'document', url: 'https://a.example.com/a', filename: big },
      'body.filename',
    ],
    [
      'mimetype malformed',
      { to: TO, type: 'image', url: 'https://a.example.com/a', mimetype: 'jpeg' },
      'body.mimetype',
    ],
    [
      'mimetype injection',
      { to: TO, type: 'image', url: 'https://a.example.com/a', mimetype: 'image/jpeg\r\nX: y' },
      'body.mimetype',
    ],
    ['latitude missing', { to: TO, type: 'location', longitude: 13.4 }, 'body.latitude'],
    ['latitude out of range', { to: TO, type: 'location', latitude: 91, longitude: 13.4 }, 'body.latitude'],
    [
      'latitude as a string',
      { to: TO, type: 'location', latitude: '52.5', longitude: 13.4 },
      'body.latitude',
    ],
    [
      'longitude out of range',
      { to: TO, type: 'location', latitude: 52.5, longitude: -181 },
      'body.longitude',
    ],
    ['name of 10 KB', { to: TO, type: 'location', latitude: 1, longitude: 1, name: big }, 'body.name'],
    ['address on a text', { to: TO, type: 'text', text: 'hi', address: 'Main St' }, 'body.address'],
    [
      'emoji missing',
      { to: TO, type: 'reaction', message_id: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k' },
      'body.emoji',
    ],
    [
      'emoji is text',
      { to: TO, type: 'reaction', emoji: 'ok', message_id: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k' },
      'body.emoji',
    ],
    [
      'two emoji',
      { to: TO, type: 'reaction', emoji: '👍👍', message_id: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k' },
      'body.emoji',
    ],
    ['message_id missing', { to: TO, type: 'reaction', emoji: '👍' }, 'body.message_id'],
    [
      'message_id malformed',
      { to: TO, type: 'reaction', emoji: '👍', message_id: '../x' },
      'body.message_id',
    ],
    [
      'message_id on a text',
      { to: TO, type: 'text', text: 'hi', message_id: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k' },
      'body.message_id',
    ],
    [
      'reply_to on a reaction',
      {
        to: TO,
        type: 'reaction',
        emoji: '👍',
        message_id: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k',
        reply_to: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k',
      },
      'body.reply_to',
    ],
    ['reply_to not an id', { to: TO, type: 'text', text: 'hi', reply_to: 'wamid.HBgL' }, 'body.reply_to'],
    [
      'reply_to that does not exist',
      { to: TO, type: 'text', text: 'hi', reply_to: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k' },
      'body.reply_to',
    ],
    ['unknown field', { to: TO, type: 'text', text: 'hi', priority: 'high' }, 'body'],
    ['an array body', [{ to: TO, type: 'text', text: 'hi' }], 'body'],
  ])('400 for %s, naming %s', async (_label, json, path) => {
    const before = sends().length;
    const res = await send(json);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(sends().length).toBe(before);
  });

  it('says exactly what a recipient must look like', async () => {
    const res = await send({ to: '+49 151 23456789', type: 'text', text: 'hi' });
    const issue = (await res.json()).error.issues[0];
    expect(issue.path).toBe('body.to');
    expect(issue.message).toContain('country code, digits only');
    expect(issue.message).toContain('no "+", spaces');
  });

  it('accepts boundary values: 8 and 15 digits, 4096 characters, unicode, reaction removal', async () => {
    expect((await send({ to: '12345678', type: 'text', text: 'a'.repeat(4096) })).status).toBe(202);
    expect((await send({ to: '123456789012345', type: 'text', text: '🙂'.repeat(4096) })).status).toBe(202);
    const target = (await (await send({ to: TO, type: 'text', text: 'x' })).json()).id;
    expect((await send({ to: TO, type: 'reaction', emoji: '', message_id: target })).status).toBe(202);
    expect((await send({ to: TO, type: 'reaction', emoji: '🇩🇪', message_id: target })).status).toBe(202);
  });

  it('accepts private media URLs only when the deployment allows private targets', async () => {
    const local = await startTestGateway({ config: { webhookAllowPrivateTargets: true } });
    try {
      local.standIn!.onCommand = acceptSends;
      const customer = await local.customer();
      const instance = await (
        await local.request('/v1/instances', { method: 'POST', key: customer.key, json: { name: 'dev' } })
      ).json();
      const res = await local.request(`/v1/instances/${instance.id}/messages`, {
        method: 'POST',
        key: customer.key,
        json: { to: TO, type: 'image', url: 'http://127.0.0.1:9000/a.jpg' },
      });
      expect(res.status).toBe(202);
    } finally {
      await local.close();
    }
  });

  it('400 for a malformed Idempotency-Key', async () => {
    for (const key of ['k'.repeat(201), 'cl\u00e9', 'a\tb']) {
      const res = await send({ to: TO, type: 'text', text: 'hi' }, { idempotencyKey: key });
      expect(res.status, key).toBe(400);
      expect((await res.json()).error.issues[0].path).toBe('header.Idempotency-Key');
    }
  });
});

describe('messages: Idempotency-Key', () => {
  it('a repeat returns the original message (200, same id) and sends nothing twice', async () => {
    const body = { to: TO, type: 'text', text: 'only once' };
    const first = await send(body, { idempotencyKey: 'order-42' });
    expect(first.status).toBe(202);
    const original = await first.json();
    const before = sends().length;
    const again = await send({ text: 'only once', type: 'text', to: TO }, { idempotencyKey: 'order-42' });
    expect(again.status).toBe(200);
    expect((await again.json()).id).toBe(original.id);
    expect(sends().length).toBe(before);
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: original.id, limit: 10 });
    expect(audit.items).toHaveLength(1);
  });

  it('the same key with a different body is 409 conflict', async () => {
    await send({ to: TO, type: 'text', text: 'first' }, { idempotencyKey: 'order-43' });
    for (const changed of [
      { to: TO, type: 'text', text: 'second' },
      { to: '4915199999999', type: 'text', text: 'first' },
      { to: TO, type: 'location', latitude: 1, longitude: 2 },
    ]) {
      const res = await send(changed, { idempotencyKey: 'order-43' });
      expect(res.status).toBe(409);
      const error = (await res.json()).error;
      expect(error.code).toBe('conflict');
      expect(error.message).toContain('Idempotency-Key');
    }
  });

  it('concurrent requests with one key make one message and one send', async () => {
    const before = sends().length;
    const responses = await Promise.all(
      Array.from({ length: 6 }, () =>
        send({ to: TO, type: 'text', text: 'race' }, { idempotencyKey: 'race-1' }),
      ),
    );
    const ids = new Set(await Promise.all(responses.map(async (r) => (await r.json()).id)));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(5);
    expect(sends().length).toBe(before + 1);
  });

  it('keys belong to the customer: another customer may use the same key', async () => {
    const mine = await (
      await send({ to: TO, type: 'text', text: 'a' }, { idempotencyKey: 'shared-key' })
    ).json();
    const theirs = await send(
      { to: TO, type: 'text', text: 'b' },
      { key: bob.key, instance: bobInstanceId, idempotencyKey: 'shared-key' },
    );
    expect(theirs.status).toBe(202);
    expect((await theirs.json()).id).not.toBe(mine.id);
  });
});

describe('messages: when the worker cannot take it', () => {
  it('not connected: 409 instance_not_connected, the row stays visible as failed with the code', async () => {
    gw.standIn!.onCommand = () => ({
      ok: false,
      error: { code: 'instance_not_connected', message: 'The instance is not linked to a WhatsApp number.' },
    });
    const res = await send({ to: TO, type: 'text', text: 'too early' }, { idempotencyKey: 'early-1' });
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('instance_not_connected');
    const list = await (
      await gw.request(`/v1/instances/${instanceId}/messages?status=failed`, { key: alice.key })
    ).json();
    const failed = list.data.find((m: { idempotency_key: string }) => m.idempotency_key === 'early-1');
    expect(failed).toMatchObject({
      status: 'failed',
      wa_message_id: null,
      error: { code: 'instance_not_connected', message: 'The instance is not linked to a WhatsApp number.' },
    });

    // Once linked, retrying with the same key sends that same message.
    gw.standIn!.onCommand = acceptSends;
    const retry = await send({ to: TO, type: 'text', text: 'too early' }, { idempotencyKey: 'early-1' });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ id: failed.id, status: 'queued', error: null });
    expect(sends().at(-1)!.payload.message_id).toBe(failed.id);
    const audit = await listAuditEvents(gw.db, alice.id, { targetId: failed.id, limit: 10 });
    expect(audit.items.map((e) => e.action)).toEqual(['message.send', 'message.send']);
    expect(audit.items[0]!.metadata).toMatchObject({ retry_of_failure: 'instance_not_connected' });

    const once = await send({ to: TO, type: 'text', text: 'too early' }, { idempotencyKey: 'early-1' });
    expect(once.status).toBe(200);
  });

  it('no worker holds it: 503 instance_unavailable with Retry-After, failed row; 504 on a timeout', async () => {
    const created = await (
      await gw.request('/v1/instances', { method: 'POST', key: alice.key, json: { name: 'orphan' } })
    ).json();
    await gw.nats.request(
      gw.bus.subjects.worker('stand-in', 'release'),
      JSON.stringify({ instance_id: created.id, logout: false }),
    );
    const res = await send({ to: TO, type: 'text', text: 'nobody home' }, { instance: created.id });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect((await res.json()).error.code).toBe('instance_unavailable');
    const [row] = (
      await (await gw.request(`/v1/instances/${created.id}/messages`, { key: alice.key })).json()
    ).data;
    expect(row).toMatchObject({ status: 'failed', error: { code: 'instance_unavailable' } });

    gw.standIn!.onCommand = () => 'no_reply';
    const slow = await send({ to: TO, type: 'text', text: 'slow' });
    expect(slow.status).toBe(504);
    expect((await slow.json()).error.code).toBe('command_timeout');
  });
});

describe('messages: security', () => {
  it("404 for another customer's instance or message on every message route, and nothing is sent", async () => {
    const mine = await (await send({ to: TO, type: 'text', text: 'private' })).json();
    const before = sends().length;
    const attempts: [string, string, unknown][] = [
      ['POST', `/v1/instances/${instanceId}/messages`, { to: TO, type: 'text', text: 'hijack' }],
      ['GET', `/v1/instances/${instanceId}/messages`, undefined],
      ['GET', `/v1/instances/${instanceId}/messages/${mine.id}`, undefined],
      ['GET', `/v1/instances/${bobInstanceId}/messages/${mine.id}`, undefined],
    ];
    for (const [method, path, json] of attempts) {
      const res = await gw.request(path, { method, key: bob.key, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
    // Quoting or reacting to another customer's message does not resolve it.
    for (const json of [
      { to: TO, type: 'text', text: 'x', reply_to: mine.id },
      { to: TO, type: 'reaction', emoji: '👍', message_id: mine.id },
    ]) {
      const res = await send(json, { key: bob.key, instance: bobInstanceId });
      expect(res.status).toBe(400);
    }
    expect(sends().length).toBe(before);
  });

  it('404 for malformed message ids', async () => {
    for (const id of [
      'nope',
      'msg_',
      '..%2f..%2fetc',
      `msg_${'a'.repeat(300)}`,
      'ins_01jq0a3k5v7x9z2b4d6f8h0j2k',
    ]) {
      const res = await gw.request(`/v1/instances/${instanceId}/messages/${id}`, { key: alice.key });
      expect(res.status, id).toBe(404);
    }
  });
});
