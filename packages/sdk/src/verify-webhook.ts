// Receiver side of Standard Webhooks: check headers, timestamp tolerance and signature, then parse the body.
import { timingSafeEqual } from 'node:crypto';
import type { WebhookEvent } from './events.ts';
import { bodyBytes, computeSignature, secretKey, WEBHOOK_HEADERS } from './webhook-signature.ts';
import { WebhookVerificationError } from './webhook-verification-error.ts';

/** Fetch `Headers`, Node's `IncomingHttpHeaders`, or any plain object (names in any case). */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far webhook-timestamp may be from now, either way. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** The current time in milliseconds since the epoch, like Date.now (the default). */
  now?: () => number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;
const SIGNATURE_BYTES = 32;

/**
 * Verifies a webhook request and returns its event.
 *
 * `rawBody` must be the bytes as received (a Buffer or the unparsed string), never JSON that was parsed and
 * serialised again. `secret` is the endpoint's `whsec_…` secret, or several (say the new and the previous
 * one while you rotate): a signature made with any of them is accepted.
 *
 * Throws WebhookVerificationError with a `reason` when the request must be refused.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new TypeError(
      'verifyWebhook needs the raw request body (string or Buffer), not a parsed object: the signature ' +
        'covers the exact bytes received',
    );
  }
  const keys = decodeSecrets(secret);

  const id = requireHeader(headers, WEBHOOK_HEADERS.id);
  const timestampHeader = requireHeader(headers, WEBHOOK_HEADERS.timestamp);
  const signatureHeader = requireHeader(headers, WEBHOOK_HEADERS.signature);

  const timestamp = checkTimestamp(timestampHeader, options);

  const body = bodyBytes(rawBody);
  const candidates = v1Signatures(signatureHeader);
  let matched = false;
  for (const key of keys) {
    const expected = computeSignature(key, id, timestamp, body);
    // Every candidate is compared, in constant time, whatever matched before.
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'invalid_signature',
      candidates.length === 0
        ? 'webhook-signature has no v1 signature'
        : 'no webhook signature matches: check that you verify the raw body and use the secret of the ' +
            'endpoint named in X-WhatIsUp-Endpoint-Id',
    );
  }

  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new WebhookVerificationError('invalid_json', 'the signed webhook body is not JSON', {
      cause: error,
    });
  }
}

function decodeSecrets(secret: string | readonly string[]): Buffer[] {
  const secrets: readonly unknown[] =
    typeof secret === 'string' ? [secret] : Array.isArray(secret) ? secret : [secret];
  if (secrets.length === 0)
    throw new WebhookVerificationError('invalid_secret', 'no webhook secret was given');
  return secrets.map((value, index) => {
    const key = secretKey(value);
    if (typeof key === 'string') {
      throw new WebhookVerificationError(
        'invalid_secret',
        secrets.length > 1 ? `secret ${index}: ${key}` : key,
      );
    }
    return key;
  });
}

function readHeader(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
    value = key === undefined ? undefined : record[key];
  }
  // A header sent on several lines arrives as an array from some servers.
  return Array.isArray(value) ? value.join(' ') : value;
}

function requireHeader(headers: WebhookHeaders, name: string): string {
  const value = readHeader(headers, name)?.trim();
  if (!value) {
    throw new WebhookVerificationError('missing_header', `the ${name} header is missing`, { header: name });
  }
  return value;
}

function checkTimestamp(header: string, options: VerifyWebhookOptions): number {
  if (!/^\d{1,15}$/.test(header)) {
    throw new WebhookVerificationError('invalid_timestamp', 'webhook-timestamp must be Unix seconds');
  }
  const timestamp = Number(header);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  if (now - timestamp > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      `webhook-timestamp is ${now - timestamp} s old (tolerance ${tolerance} s): a replay, a very late ` +
        'delivery, or this host’s clock is wrong (run NTP)',
    );
  }
  if (timestamp - now > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_in_future',
      `webhook-timestamp is ${timestamp - now} s in the future (tolerance ${tolerance} s): this host’s clock ` +
        'is probably behind (run NTP)',
    );
  }
  return timestamp;
}

/** The decoded `v1` signatures of the header; other versions and malformed entries are skipped. */
function v1Signatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of header.split(/\s+/)) {
    // Node joins repeated header lines with ", ": tolerate the trailing comma that leaves on an entry.
    const [version, signature] = entry.replace(/,$/, '').split(',', 2);
    if (version !== 'v1' || !signature) continue;
    const decoded = Buffer.from(signature, 'base64');
    if (decoded.length === SIGNATURE_BYTES) signatures.push(decoded);
  }
  return signatures;
}
