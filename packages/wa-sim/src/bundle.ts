// A Signal prekey bundle as the server hands it out, and its binary-node form for `iq xmlns=encrypt` key fetches.
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { SimulatorCore } from './core.ts';
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

/** A prekey bundle for any device of any known account; a linked device's one-time prekeys are handed out once. */
export function takeBundle(core: SimulatorCore, jid: string): PreKeyBundle | undefined {
  const target = core.resolveJid(jid);
  if (!target) return undefined;
  if (target.device === 0) return target.account.phone.takeBundle();
  const device = target.account.devices.get(target.device);
  if (!device) return undefined;
  const next = device.preKeys.entries().next();
  let preKey: { keyId: number; publicKey: Buffer } | undefined;
  if (!next.done) {
    const [keyId, publicKey] = next.value;
    device.preKeys.delete(keyId);
    preKey = { keyId, publicKey };
  }
  return {
    registrationId: device.registrationId,
    identityKey: device.identityKey,
    signedPreKey: device.signedPreKey,
    ...(preKey ? { preKey } : {}),
  };
}
