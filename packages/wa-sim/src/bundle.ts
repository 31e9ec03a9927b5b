// A Signal prekey bundle as the server hands it out, and its binary-node form for `iq xmlns=encrypt` key fetches.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { encodeBigEndian, signalPublicKey } from './keys.ts';

export interface PreKeyBundle {
  registrationId: number;
  /** 32-byte identity public key. */
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  preKey?: { keyId: number; publicKey: Buffer };
}

const KEY_BUNDLE_TYPE = Buffer.from([5]);

export function bundleToNode(jid: string, bundle: PreKeyBundle): BinaryNode {
  const content: BinaryNode[] = [
    { tag: 'registration', attrs: {}, content: encodeBigEndian(bundle.registrationId, 4) },
    { tag: 'type', attrs: {}, content: KEY_BUNDLE_TYPE },
    { tag: 'identity', attrs: {}, content: bundle.identityKey },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: encodeBigEndian(bundle.signedPreKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.signedPreKey.publicKey },
        { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
      ],
    },
  ];
  if (bundle.preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: encodeBigEndian(bundle.preKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.preKey.publicKey },
      ],
    });
  }
  return { tag: 'user', attrs: { jid }, content };
}

/** The shape libsignal's SessionBuilder.initOutgoing expects (prefixed public keys). */
export function bundleToSession(bundle: PreKeyBundle) {
  return {
    registrationId: bundle.registrationId,
    identityKey: signalPublicKey(bundle.identityKey),
    signedPreKey: {
      keyId: bundle.signedPreKey.keyId,
      publicKey: signalPublicKey(bundle.signedPreKey.publicKey),
      signature: bundle.signedPreKey.signature,
    },
    preKey: bundle.preKey
      ? { keyId: bundle.preKey.keyId, publicKey: signalPublicKey(bundle.preKey.publicKey) }
      : (undefined as unknown as { keyId: number; publicKey: Uint8Array }),
  };
}
