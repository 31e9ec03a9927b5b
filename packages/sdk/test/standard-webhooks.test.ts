// Cross-check with the Standard Webhooks reference library: what we sign, it verifies, and the reverse.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../src/index.ts';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const event = {
  id: 'evt_01jq0a3k5v7x9z2b4d6f8h0j2k',
  type: 'instance.connected',
  created_at: '2026-11-28T10:00:00.000Z',
  customer_id: 'cus_01jq0a3k5v7x9z2b4d6f8h0j2k',
  instance_id: 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k',
  data: { status: 'connected', phone: '4915112345678', push_name: 'Zoë ✓', worker_id: 'wrk-0' },
};
const body = JSON.stringify(event);

describe('interoperability with the standardwebhooks reference library', () => {
  it('our signature verifies with theirs', () => {
    const key = secret();
    const headers = signWebhook({ id: event.id, body, secret: key });
    expect(new Webhook(key).verify(body, { ...headers })).toEqual(event);
    expect(new Webhook(key).verify(Buffer.from(body), { ...headers })).toEqual(event);
  });

  it('their signature verifies with ours', () => {
    const key = secret();
    const timestamp = new Date();
    const signature = new Webhook(key).sign(event.id, timestamp, body);
    const headers = {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(verifyWebhook(body, headers, key)).toEqual(event);
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), key)).toEqual(event);
  });

  it('agrees byte for byte on the signature for the same input', () => {
    const key = secret();
    const at = new Date(1_790_000_000_000);
    const ours = signWebhook({ id: event.id, body, secret: key, timestamp: at })['webhook-signature'];
    expect(ours).toBe(new Webhook(key).sign(event.id, at, body));
  });

  it('rotation: both libraries accept either secret from a two-signature header', () => {
    const [current, previous] = [secret(), secret()];
    const headers = signWebhook({ id: event.id, body, secret: [current, previous] });
    expect(new Webhook(current).verify(body, { ...headers })).toEqual(event);
    expect(new Webhook(previous).verify(body, { ...headers })).toEqual(event);

    const at = new Date();
    const theirs = `${new Webhook(current).sign(event.id, at, body)} ${new Webhook(previous).sign(event.id, at, body)}`;
    const theirHeaders = {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': theirs,
    };
    expect(verifyWebhook(body, theirHeaders, previous)).toEqual(event);
    expect(verifyWebhook(body, theirHeaders, current)).toEqual(event);
  });

  it('both refuse a re-serialised body and a stale timestamp', () => {
    const key = secret();
    const spaced = JSON.stringify(event, null, 2);
    const headers = signWebhook({ id: event.id, body: spaced, secret: key });
    expect(() => new Webhook(key).verify(body, { ...headers })).toThrow();
    expect(() => verifyWebhook(body, headers, key)).toThrow(
      expect.objectContaining({ reason: 'invalid_signature' }),
    );

    const stale = signWebhook({
      id: event.id,
      body,
      secret: key,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(() => new Webhook(key).verify(body, { ...stale })).toThrow();
    expect(() => verifyWebhook(body, stale, key)).toThrow(
      expect.objectContaining({ reason: 'timestamp_too_old' }),
    );
  });
});
