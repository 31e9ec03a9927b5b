import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  signWebhook,
  verifyWebhook,
  type WebhookEvent,
  WebhookVerificationError,
  type WebhookVerificationReason,
} from '../src/index.ts';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const SECRET = newSecret();
const T0 = 1_790_000_000; // Unix seconds
const clockAt = (seconds: number) => () => seconds * 1000;

const event = {
  id: 'evt_01jq0a3k5v7x9z2b4d6f8h0j2k',
  type: 'message.received',
  created_at: '2026-11-28T10:00:00.000Z',
  customer_id: 'cus_01jq0a3k5v7x9z2b4d6f8h0j2k',
  instance_id: 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k',
  data: {
    message_id: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k',
    wa_message_id: '3EB0C767D26A1D5D2F81',
    from: '4915112345678',
    push_name: 'Zoë',
    type: 'text',
    text: 'Grüße 👋  — spacing  kept',
    media: null,
    quoted_id: null,
    timestamp: '2026-11-28T09:59:59.000Z',
  },
};
// Spacing as a sender might produce it: verification must use these bytes, not a re-serialisation.
const BODY = JSON.stringify(event, null, 1);

function signed(options: { body?: string; secret?: string | string[]; timestamp?: number } = {}) {
  const body = options.body ?? BODY;
  const headers = signWebhook({
    id: event.id,
    body,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? T0,
  });
  return {
    body,
    headers: { ...headers, 'X-WhatIsUp-Endpoint-Id': 'whe_1', 'X-WhatIsUp-Event-Type': event.type },
  };
}

function reasonOf(run: () => unknown): WebhookVerificationReason {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).reason;
  }
  throw new Error('expected verification to fail');
}

describe('verifyWebhook: happy path', () => {
  it('returns the parsed event, typed by its type', () => {
    const { body, headers } = signed();
    const verified: WebhookEvent = verifyWebhook(body, headers, SECRET, { now: clockAt(T0) });
    expect(verified).toEqual(event);
    if (verified.type === 'message.received') expect(verified.data.text).toBe(event.data.text);
  });

  it('takes the body as a Buffer or a Uint8Array view into a larger buffer', () => {
    const { body, headers } = signed();
    const bytes = Buffer.from(body);
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    const view = padded.subarray(5, 5 + bytes.length);
    expect(verifyWebhook(bytes, headers, SECRET, { now: clockAt(T0) })).toEqual(event);
    expect(verifyWebhook(view, headers, SECRET, { now: clockAt(T0) })).toEqual(event);
  });

  it('reads Fetch Headers, Node IncomingHttpHeaders and plain objects in any case', () => {
    const { body, headers } = signed();
    const now = clockAt(T0);
    expect(verifyWebhook(body, new Headers(headers), SECRET, { now })).toEqual(event);
    const upper = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name.toUpperCase(), value]),
    );
    expect(verifyWebhook(body, upper, SECRET, { now })).toEqual(event);
    const node: IncomingHttpHeaders = {
      'webhook-id': headers['webhook-id'],
      'webhook-timestamp': headers['webhook-timestamp'],
      'webhook-signature': headers['webhook-signature'],
      'x-unrelated': ['a', 'b'],
      'content-length': undefined,
    };
    expect(verifyWebhook(body, node, SECRET, { now })).toEqual(event);
  });

  it('verifies what a real Node http server receives', async () => {
    const { body, headers } = signed({ timestamp: Math.floor(Date.now() / 1000) });
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        const verified = verifyWebhook(Buffer.concat(chunks), req.headers, SECRET);
        res.writeHead(204).end(verified.id);
      } catch (error) {
        res.writeHead(400).end(error instanceof WebhookVerificationError ? error.reason : 'error');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const ok = await fetch(url, { method: 'POST', headers, body });
      expect(ok.status).toBe(204);
      const reserialised = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(JSON.parse(body)),
      });
      expect(reserialised.status).toBe(400);
      expect(await reserialised.text()).toBe('invalid_signature');
    } finally {
      server.close();
    }
  });
});

describe('verifyWebhook: rotation and several signatures', () => {
  const previous = newSecret();
  const current = newSecret();

  it('accepts a delivery signed with both secrets, whichever one the receiver has', () => {
    const { body, headers } = signed({ secret: [current, previous] });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    const now = clockAt(T0);
    expect(verifyWebhook(body, headers, current, { now })).toEqual(event);
    expect(verifyWebhook(body, headers, previous, { now })).toEqual(event);
    expect(verifyWebhook(body, headers, [newSecret(), previous], { now })).toEqual(event);
    expect(reasonOf(() => verifyWebhook(body, headers, newSecret(), { now }))).toBe('invalid_signature');
  });

  it('accepts a delivery signed with one secret when the receiver holds both', () => {
    const { body, headers } = signed({ secret: previous });
    expect(verifyWebhook(body, headers, [current, previous], { now: clockAt(T0) })).toEqual(event);
  });

  it('ignores other versions and malformed entries, and tolerates a comma-joined header', () => {
    const { body, headers } = signed();
    const good = headers['webhook-signature'];
    const signature = good.slice('v1,'.length);
    const now = clockAt(T0);
    const withOthers = {
      ...headers,
      'webhook-signature': `v1a,${signature} garbage v2,${signature} v1, ${good}`,
    };
    expect(verifyWebhook(body, withOthers, SECRET, { now })).toEqual(event);
    // Node joins repeated header lines with ", ".
    expect(
      verifyWebhook(body, { ...headers, 'webhook-signature': `v1,AAAA, ${good}` }, SECRET, { now }),
    ).toEqual(event);
    // The same HMAC under another version tag is not a v1 signature.
    const onlyOther = { ...headers, 'webhook-signature': `v1a,${signature}` };
    expect(reasonOf(() => verifyWebhook(body, onlyOther, SECRET, { now }))).toBe('invalid_signature');
  });
});

describe('verifyWebhook: every refusal has its reason', () => {
  const now = clockAt(T0);

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('missing_header names %s', (name) => {
    const { body, headers } = signed();
    const without = Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
    let caught: unknown;
    try {
      verifyWebhook(body, without, SECRET, { now });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WebhookVerificationError);
    expect(caught).toMatchObject({ reason: 'missing_header', header: name });
    expect(reasonOf(() => verifyWebhook(body, { ...headers, [name]: '  ' }, SECRET, { now }))).toBe(
      'missing_header',
    );
  });

  it.each(['abc', '1790000000.5', '-1790000000', '1e9', ''.padEnd(16, '1')])(
    'invalid_timestamp for %j',
    (value) => {
      const { body, headers } = signed();
      expect(
        reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': value }, SECRET, { now })),
      ).toBe('invalid_timestamp');
    },
  );

  it('timestamp_too_old and timestamp_in_future, exactly at the 300 s boundary', () => {
    const { body, headers } = signed();
    expect(verifyWebhook(body, headers, SECRET, { now: clockAt(T0 + 300) })).toEqual(event);
    expect(verifyWebhook(body, headers, SECRET, { now: clockAt(T0 - 300) })).toEqual(event);
    // Milliseconds inside the 300th second still count as 300 s.
    expect(verifyWebhook(body, headers, SECRET, { now: () => (T0 + 300) * 1000 + 999 })).toEqual(event);
    expect(reasonOf(() => verifyWebhook(body, headers, SECRET, { now: clockAt(T0 + 301) }))).toBe(
      'timestamp_too_old',
    );
    expect(reasonOf(() => verifyWebhook(body, headers, SECRET, { now: clockAt(T0 - 301) }))).toBe(
      'timestamp_in_future',
    );
  });

  it('honours a custom tolerance', () => {
    const { body, headers } = signed();
    const options = { toleranceSeconds: 10, now: clockAt(T0 + 11) };
    expect(reasonOf(() => verifyWebhook(body, headers, SECRET, options))).toBe('timestamp_too_old');
    expect(verifyWebhook(body, headers, SECRET, { toleranceSeconds: 10, now: clockAt(T0 + 10) })).toEqual(
      event,
    );
  });

  it('checks the timestamp before the signature, so a stale replay says so', () => {
    const { body, headers } = signed();
    const replay = { ...headers, 'webhook-timestamp': String(T0 - 3600) };
    expect(reasonOf(() => verifyWebhook(body, replay, SECRET, { now }))).toBe('timestamp_too_old');
  });

  it('invalid_signature when the timestamp, id or body was changed, or the secret is another', () => {
    const { body, headers } = signed();
    expect(
      reasonOf(() =>
        verifyWebhook(body, { ...headers, 'webhook-timestamp': String(T0 + 1) }, SECRET, { now }),
      ),
    ).toBe('invalid_signature');
    expect(
      reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_other' }, SECRET, { now })),
    ).toBe('invalid_signature');
    expect(reasonOf(() => verifyWebhook(`${body} `, headers, SECRET, { now }))).toBe('invalid_signature');
    expect(reasonOf(() => verifyWebhook(body, headers, newSecret(), { now }))).toBe('invalid_signature');
    expect(
      reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,' }, SECRET, { now })),
    ).toBe('invalid_signature');
    // A truncated signature is refused without comparing buffers of different lengths.
    const short = headers['webhook-signature'].slice(0, 20);
    expect(
      reasonOf(() => verifyWebhook(body, { ...headers, 'webhook-signature': short }, SECRET, { now })),
    ).toBe('invalid_signature');
  });

  it('raw-bytes pitfall: the same event parsed and serialised again does not verify', () => {
    const { body, headers } = signed();
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(reserialised).not.toBe(body);
    expect(reasonOf(() => verifyWebhook(reserialised, headers, SECRET, { now }))).toBe('invalid_signature');
    // And a parsed object is refused outright, with a message that says why.
    expect(() => verifyWebhook(JSON.parse(body), headers, SECRET, { now })).toThrow(/raw request body/);
  });

  it.each([
    ['no prefix', randomBytes(32).toString('base64')],
    ['not base64', 'whsec_not*base64!'],
    ['empty', 'whsec_'],
    ['an API key', 'wiu_abcdef'],
  ])('invalid_secret: %s', (_label, secret) => {
    const { body, headers } = signed();
    expect(reasonOf(() => verifyWebhook(body, headers, secret, { now }))).toBe('invalid_secret');
    expect(reasonOf(() => verifyWebhook(body, headers, [SECRET, secret], { now }))).toBe('invalid_secret');
  });

  it('invalid_secret for an empty list, and the message never echoes the secret', () => {
    const { body, headers } = signed();
    expect(reasonOf(() => verifyWebhook(body, headers, [], { now }))).toBe('invalid_secret');
    const bad = 'whsec_s3cr3t*value';
    expect(() => verifyWebhook(body, headers, bad, { now })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cr3t') }),
    );
  });

  it('invalid_json when a correctly signed body is not JSON', () => {
    const { body, headers } = signed({ body: 'not json' });
    expect(reasonOf(() => verifyWebhook(body, headers, SECRET, { now }))).toBe('invalid_json');
  });
});

describe('signWebhook', () => {
  it('refuses a malformed secret, an empty id and an invalid time', () => {
    expect(() => signWebhook({ id: 'evt_1', body: '{}', secret: 'nope' })).toThrow(TypeError);
    expect(() => signWebhook({ id: 'evt_1', body: '{}', secret: [] })).toThrow(TypeError);
    expect(() => signWebhook({ id: '', body: '{}', secret: SECRET })).toThrow(TypeError);
    expect(() => signWebhook({ id: 'evt_1', body: '{}', secret: SECRET, timestamp: Number.NaN })).toThrow(
      TypeError,
    );
  });

  it('takes the time as a Date or Unix seconds, and defaults to now', () => {
    const fromDate = signWebhook({
      id: 'evt_1',
      body: '{}',
      secret: SECRET,
      timestamp: new Date(T0 * 1000 + 999),
    });
    expect(fromDate).toEqual(signWebhook({ id: 'evt_1', body: '{}', secret: SECRET, timestamp: T0 }));
    const nowSeconds = Math.floor(Date.now() / 1000);
    const current = Number(signWebhook({ id: 'evt_1', body: '{}', secret: SECRET })['webhook-timestamp']);
    expect(Math.abs(current - nowSeconds)).toBeLessThanOrEqual(1);
  });
});
