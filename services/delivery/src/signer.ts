// Standard Webhooks signatures: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> with the secret's bytes.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** The key of a `whsec_<base64>` secret, as a KeyObject (reused: building one per signature is costly). */
export function secretKey(secret: string): KeyObject {
  if (!secret.startsWith('whsec_')) throw new Error('webhook secret must start with whsec_');
  return createSecretKey(Buffer.from(secret.slice('whsec_'.length), 'base64'));
}

/** The `webhook-signature` value: one `v1,<sig>` per key, space-separated (several during a rotation). */
export function signatureHeader(
  keys: KeyObject[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return keys.map((key) => `v1,${createHmac('sha256', key).update(content).digest('base64')}`).join(' ');
}
