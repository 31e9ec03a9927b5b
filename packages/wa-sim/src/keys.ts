// Curve25519 key material in the shape Baileys uses (32-byte public keys without the 0x05 type prefix).
import { Curve } from '@whiskeysockets/baileys';

export interface KeyPair {
  public: Buffer;
  private: Buffer;
}

export interface SignedPreKey {
  keyId: number;
  keyPair: KeyPair;
  signature: Buffer;
}

const KEY_TYPE = Buffer.from([5]);

export function generateKeyPair(): KeyPair {
  const pair = Curve.generateKeyPair();
  return { public: Buffer.from(pair.public), private: Buffer.from(pair.private) };
}

/** Public key with the 0x05 prefix that libsignal expects. */
export function signalPublicKey(key: Uint8Array): Buffer {
  return key.length === 33 ? Buffer.from(key) : Buffer.concat([KEY_TYPE, key]);
}

export function generateSignedPreKey(identity: KeyPair, keyId: number): SignedPreKey {
  const keyPair = generateKeyPair();
  const signature = Buffer.from(Curve.sign(identity.private, signalPublicKey(keyPair.public)));
  return { keyId, keyPair, signature };
}

export function encodeBigEndian(value: number, bytes = 4): Buffer {
  const out = Buffer.alloc(bytes);
  let rest = value;
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = rest & 0xff;
    rest = Math.floor(rest / 256);
  }
  return out;
}

export function decodeBigEndian(bytes: Uint8Array): number {
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  return value;
}
