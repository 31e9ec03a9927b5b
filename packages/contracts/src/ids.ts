// Type-prefixed, time-sortable ids: `<prefix>_` + 10 chars of millisecond time + 16 random chars
// (Crockford base32). Sorting ids sorts by creation time, so cursors can be ids.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const ID_PREFIXES = {
  customer: 'cus',
  apiKey: 'key',
  instance: 'ins',
  message: 'msg',
  webhookEndpoint: 'whe',
  webhookDelivery: 'del',
  event: 'evt',
  auditEvent: 'aud',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  return out;
}

/** Monotonic within one process: two ids made in the same millisecond still sort in creation order. */
export function newId(kind: IdKind, now: number = Date.now()): string {
  let random: Uint8Array;
  if (now <= lastTime) {
    random = lastRandom.slice();
    for (let i = random.length - 1; i >= 0; i--) {
      random[i] = (random[i]! + 1) & 0xff;
      if (random[i] !== 0) break;
    }
    now = lastTime;
  } else {
    random = randomBytes(10);
  }
  lastTime = now;
  lastRandom = random;
  return `${ID_PREFIXES[kind]}_${encodeTime(now)}${encodeRandom(random)}`;
}

/**
 * An id of this kind that is the same every time it is made from the same seed and time: for something
 * observed more than once (a WhatsApp message replayed after a crash) that must keep one id.
 */
export function seededId(kind: IdKind, now: number, seed: string): string {
  const random = createHash('sha256').update(seed).digest().subarray(0, 10);
  return `${ID_PREFIXES[kind]}_${encodeTime(Math.max(0, Math.floor(now)))}${encodeRandom(random)}`;
}

const ID_BODY = /^[0-9a-hjkmnp-tv-z]{26}$/;

/** True when `value` looks like an id of this kind; used to answer 404 early for garbage path params. */
export function isId(kind: IdKind, value: string): boolean {
  const prefix = `${ID_PREFIXES[kind]}_`;
  return value.startsWith(prefix) && ID_BODY.test(value.slice(prefix.length));
}
