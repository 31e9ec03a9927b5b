// Standard Webhooks signing, shared by the sender (our delivery service) and every receiver, so both sides
// compute "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with one definition.
import { createHmac } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
  endpointId: 'x-whatisup-endpoint-id',
  eventType: 'x-whatisup-event-type',
} as const;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** The HMAC key of a `whsec_<base64>` secret, or why it is not one (never echoing the secret). */
export function secretKey(secret: unknown): Buffer | string {
  if (typeof secret !== 'string') return 'the webhook secret must be a string';
  if (!secret.startsWith(SECRET_PREFIX)) return 'the webhook secret must start with whsec_';
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (encoded.length === 0 || !BASE64.test(encoded)) return 'the part after whsec_ must be base64';
  return Buffer.from(encoded, 'base64');
}

/** The raw HMAC-SHA256 of `id.timestamp.body` (body as bytes, never re-encoded). */
export function computeSignature(key: Buffer, id: string, timestamp: number, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

export function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

export interface SignWebhookInput {
  /** The event id; constant across retries of one event, so receivers can deduplicate on it. */
  id: string;
  /** The exact bytes that will be sent as the request body. */
  body: string | Uint8Array;
  /** One secret, or the current and previous one during a rotation overlap (one signature each). */
  secret: string | readonly string[];
  /** When the attempt is sent: Unix seconds or a Date. Default: now. */
  timestamp?: number | Date;
}

// A type alias, not an interface, so it can be passed wherever a header record is expected.
export type WebhookSignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * The three Standard Webhooks headers for one delivery attempt. `webhook-signature` holds one
 * `v1,<base64>` per secret, space-separated. Throws TypeError on a malformed secret, id or timestamp.
 */
export function signWebhook(input: SignWebhookInput): WebhookSignatureHeaders {
  const timestamp = unixSeconds(input.timestamp ?? Date.now() / 1000);
  if (!input.id) throw new TypeError('webhook id must not be empty');
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  if (secrets.length === 0) throw new TypeError('at least one webhook secret is needed');
  const body = bodyBytes(input.body);
  const signatures = secrets.map((secret, index) => {
    const key = secretKey(secret);
    if (typeof key === 'string') throw new TypeError(`secret ${index}: ${key}`);
    return `v1,${computeSignature(key, input.id, timestamp, body).toString('base64')}`;
  });
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

function unixSeconds(timestamp: number | Date): number {
  const seconds = timestamp instanceof Date ? timestamp.getTime() / 1000 : timestamp;
  if (!Number.isFinite(seconds) || seconds < 0) throw new TypeError('webhook timestamp must be a valid time');
  return Math.floor(seconds);
}
