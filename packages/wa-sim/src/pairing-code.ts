// Pairing-code (phone number) linking: companion_hello → the phone enters the code → primary_hello → companion_finish → pair-success.
import { createCipheriv, createDecipheriv, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { type BinaryNode, Curve, getBinaryNodeChild, jidDecode } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import { SERVER_JID, type SimulatorCore } from './core.ts';
import { generateKeyPair, type KeyPair } from './keys.ts';
import type { Account, LinkedDevice } from './model.ts';
import { completePairing } from './pairing.ts';
import { contextOf, type Registration } from './session-context.ts';

const PBKDF2_ITERATIONS = 2 << 16;
const KEY_BUNDLE_INFO = 'link_code_pairing_key_bundle_encryption_key';

export interface LinkCodeState {
  msisdn: string;
  ref: string;
  wrappedCompanionEphemeral: Buffer;
  /** Set once the phone entered a code. */
  primary?: {
    account: Account;
    ephemeral: KeyPair;
    companionEphemeral: Buffer;
    done: (device?: LinkedDevice) => void;
  };
}

function bufferChild(node: BinaryNode | undefined, tag: string): Buffer | undefined {
  const content = getBinaryNodeChild(node, tag)?.content;
  if (content instanceof Uint8Array) return Buffer.from(content);
  if (typeof content === 'string') return Buffer.from(content);
  return undefined;
}

function codeKey(code: string, salt: Buffer): Buffer {
  return pbkdf2Sync(Buffer.from(code, 'utf8'), salt, PBKDF2_ITERATIONS, 32, 'sha256');
}

function unwrap(code: string, wrapped: Buffer): Buffer {
  const decipher = createDecipheriv(
    'aes-256-ctr',
    codeKey(code, wrapped.subarray(0, 32)),
    wrapped.subarray(32, 48),
  );
  return Buffer.concat([decipher.update(wrapped.subarray(48)), decipher.final()]);
}

function wrap(code: string, publicKey: Buffer): Buffer {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', codeKey(code, salt), iv);
  return Buffer.concat([salt, iv, cipher.update(publicKey), cipher.final()]);
}

export function handleLinkCodeIq(core: SimulatorCore, connection: Connection, node: BinaryNode): void {
  const context = contextOf(connection);
  const reg = getBinaryNodeChild(node, 'link_code_companion_reg');
  const reply = (content?: BinaryNode[]) =>
    connection.send({
      tag: 'iq',
      attrs: { from: SERVER_JID, type: 'result', id: node.attrs.id ?? '' },
      ...(content ? { content } : {}),
    });
  if (context?.kind !== 'registration' || !reg) {
    reply();
    return;
  }
  if (reg.attrs.stage === 'companion_hello') {
    const wrapped = bufferChild(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub');
    const msisdn = jidDecode(reg.attrs.jid ?? '')?.user;
    if (wrapped?.length !== 80 || !msisdn) {
      reply();
      return;
    }
    const ref = randomBytes(16).toString('base64url');
    context.linkCode = { msisdn, ref, wrappedCompanionEphemeral: wrapped };
    core.linkCodesByMsisdn.set(msisdn, context);
    core.events.record({ type: 'pairing-code.requested', msisdn, connectionId: connection.id });
    reply([
      {
        tag: 'link_code_companion_reg',
        attrs: {},
        content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }],
      },
    ]);
    return;
  }
  reply();
  if (reg.attrs.stage === 'companion_finish') finish(core, context, reg);
}

/**
 * The phone of `account` enters the code shown by the companion. Resolves with the linked device once the companion
 * finished, or rejects when the code was wrong (the key bundle does not decrypt) or no companion asked for this number.
 */
export async function enterPairingCode(
  core: SimulatorCore,
  account: Account,
  code: string,
  timeoutMs = 10_000,
): Promise<LinkedDevice> {
  const waiting = () => {
    const registration = core.linkCodesByMsisdn.get(account.msisdn);
    return registration?.linkCode && !registration.connection.closed && !registration.paired
      ? registration
      : undefined;
  };
  // requestPairingCode() returns before its IQ reaches us: give the companion's hello a moment to arrive
  if (!waiting()) {
    await core.events
      .waitFor('pairing-code.requested', (e) => e.msisdn === account.msisdn, Math.min(timeoutMs, 5_000))
      .catch(() => undefined);
  }
  const registration = waiting();
  const linkCode = registration?.linkCode;
  if (!registration || !linkCode) {
    throw new Error(`no companion is waiting for a pairing code for ${account.msisdn}`);
  }
  const normalized = code.replace(/[-\s]/g, '').toUpperCase();
  const companionEphemeral = unwrap(normalized, linkCode.wrappedCompanionEphemeral);
  const ephemeral = generateKeyPair();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('companion did not finish pairing')), timeoutMs);
    linkCode.primary = {
      account,
      ephemeral,
      companionEphemeral,
      done: (device) => {
        clearTimeout(timer);
        if (device) resolve(device);
        else reject(new Error('pairing code rejected'));
      },
    };
    registration.connection.send({
      tag: 'notification',
      attrs: { from: SERVER_JID, type: 'link_code_companion_reg', id: core.newMessageId(), t: core.now() },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: { stage: 'primary_hello' },
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(linkCode.ref) },
            { tag: 'primary_identity_pub', attrs: {}, content: account.phone.identity.public },
            {
              tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
              attrs: {},
              content: wrap(normalized, ephemeral.public),
            },
          ],
        },
      ],
    });
  });
}

function finish(core: SimulatorCore, registration: Registration, reg: BinaryNode): void {
  const primary = registration.linkCode?.primary;
  const bundle = bufferChild(reg, 'link_code_pairing_wrapped_key_bundle');
  if (!primary || !bundle) return;
  core.linkCodesByMsisdn.delete(registration.linkCode?.msisdn ?? '');
  try {
    const companionShared = Curve.sharedKey(primary.ephemeral.private, primary.companionEphemeral);
    const key = Buffer.from(hkdfSync('sha256', companionShared, bundle.subarray(0, 32), KEY_BUNDLE_INFO, 32));
    const iv = bundle.subarray(32, 44);
    const sealed = bundle.subarray(44);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    const companionIdentity = plain.subarray(0, 32);
    const random = plain.subarray(64, 96);
    const identityShared = Curve.sharedKey(primary.account.phone.identity.private, companionIdentity);
    const advSecret = Buffer.from(
      hkdfSync(
        'sha256',
        Buffer.concat([companionShared, identityShared, random]),
        Buffer.alloc(0),
        'adv_secret',
        32,
      ),
    );
    primary.done(completePairing(core, registration, primary.account, advSecret, 'pairing-code'));
  } catch {
    primary.done(undefined);
  }
}
