// API keys: "wiu_" + 32 base64url characters (192 random bits). Only their SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';

const KEY_SHAPE = /^wiu_[A-Za-z0-9_-]{32}$/;

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `wiu_${randomBytes(24).toString('base64url')}`;
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(value: string): boolean {
  return KEY_SHAPE.test(value);
}
