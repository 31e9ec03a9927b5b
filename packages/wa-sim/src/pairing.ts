// QR registration: rotating refs for a fresh companion, the phone's scan, pair-success with an ADV identity, then 515.
import { createHmac, randomBytes } from 'node:crypto';
import { type BinaryNode, Curve, getBinaryNodeChild, proto } from '@whiskeysockets/baileys';
import type { Connection } from './connection.ts';
import { SERVER_JID, type SimulatorCore } from './core.ts';
import { decodeBigEndian } from './keys.ts';
import { type Account, type LinkedDevice, lidJid, pnJid } from './model.ts';
import type { Registration } from './session-context.ts';

const ACCOUNT_SIG_PREFIX = Buffer.from([6, 0]);
const DEVICE_SIG_PREFIX = Buffer.from([6, 1]);
const RESTART_REQUIRED = '515';

export function startRegistration(
  core: SimulatorCore,
  connection: Connection,
  noiseKey: Buffer,
  payload: proto.ClientPayload,
): Registration {
  const pairing = payload.devicePairingData;
  if (!pairing?.eIdent || !pairing.eRegid || !pairing.eSkeyId || !pairing.eSkeyVal || !pairing.eSkeySig) {
    throw new Error('registration payload without device pairing data');
  }
  const refs = Array.from({ length: core.options.qrRefs }, () => `2@${randomBytes(24).toString('base64')}`);
  const registration: Registration = {
    kind: 'registration',
    connection,
    noiseKey,
    identityKey: Buffer.from(pairing.eIdent),
    registrationId: decodeBigEndian(pairing.eRegid),
    signedPreKey: {
      keyId: decodeBigEndian(pairing.eSkeyId),
      publicKey: Buffer.from(pairing.eSkeyVal),
      signature: Buffer.from(pairing.eSkeySig),
    },
    platform: platformName(pairing.deviceProps),
    refs,
    paired: false,
  };
  const index = core.registrationsByRef;
  for (const ref of refs) index.set(ref, registration);
  connection.context = registration;
  connection.send({
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'set', id: core.newMessageId(), xmlns: 'md' },
    content: [
      {
        tag: 'pair-device',
        attrs: {},
        content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })),
      },
    ],
  });
  core.events.record({ type: 'registration.started', connectionId: connection.id, refs });
  return registration;
}

export function endRegistration(core: SimulatorCore, registration: Registration): void {
  const index = core.registrationsByRef;
  for (const ref of registration.refs) index.delete(ref);
}

function platformName(deviceProps: Uint8Array | null | undefined): string {
  if (!deviceProps) return 'web';
  const props = proto.DeviceProps.decode(deviceProps);
  return props.os ?? 'web';
}

export interface ParsedQr {
  ref: string;
  noiseKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platformId: string;
}

/** Parses Baileys' QR string (`https://wa.me/settings/linked_devices#ref,noise,identity,adv,platform`). */
export function parseQr(qr: string): ParsedQr {
  const body = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
  const parts = body.split(',');
  const [ref, noise, identity, adv, platformId] = parts;
  if (parts.length < 4 || !ref || !noise || !identity || !adv) throw new Error('not a WhatsApp pairing QR');
  return {
    ref,
    noiseKey: Buffer.from(noise, 'base64'),
    identityKey: Buffer.from(identity, 'base64'),
    advSecret: Buffer.from(adv, 'base64'),
    platformId: platformId ?? '',
  };
}

/** The phone of `account` scans a QR shown by a registering companion. */
export function scanQr(core: SimulatorCore, account: Account, qr: string): LinkedDevice {
  const parsed = parseQr(qr);
  const registration = core.registrationsByRef.get(parsed.ref);
  if (!registration || registration.connection.closed || registration.paired) {
    throw new Error('QR ref unknown or expired');
  }
  if (
    !registration.noiseKey.equals(parsed.noiseKey) ||
    !registration.identityKey.equals(parsed.identityKey)
  ) {
    throw new Error('QR keys do not match the registering companion');
  }
  return completePairing(core, registration, account, parsed.advSecret, 'qr');
}

/** Links the registering companion to `account` and sends pair-success; the companion then restarts (515). */
export function completePairing(
  core: SimulatorCore,
  registration: Registration,
  account: Account,
  advSecret: Buffer,
  method: 'qr' | 'pairing-code',
): LinkedDevice {
  registration.paired = true;
  endRegistration(core, registration);
  const deviceId = account.nextDeviceId++;
  const device: LinkedDevice = {
    id: deviceId,
    account,
    noiseKey: registration.noiseKey,
    identityKey: registration.identityKey,
    registrationId: registration.registrationId,
    signedPreKey: registration.signedPreKey,
    preKeys: new Map(),
    platform: registration.platform,
    linkedAt: Date.now(),
    connection: undefined,
    offlineQueue: [],
    historySynced: false,
  };
  account.devices.set(deviceId, device);

  const details = Buffer.from(
    proto.ADVDeviceIdentity.encode({
      rawId: randomBytes(4).readUInt32BE(),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex: deviceId,
    }).finish(),
  );
  const phoneIdentity = account.phone.identity;
  const accountSignature = Curve.sign(
    phoneIdentity.private,
    Buffer.concat([ACCOUNT_SIG_PREFIX, details, registration.identityKey]),
  );
  const signedIdentity = Buffer.from(
    proto.ADVSignedDeviceIdentity.encode({
      details,
      accountSignatureKey: phoneIdentity.public,
      accountSignature,
    }).finish(),
  );
  const hmac = createHmac('sha256', advSecret).update(signedIdentity).digest();
  const container = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signedIdentity, hmac }).finish();

  const iqId = core.newMessageId();
  core.pendingPairSigns.set(iqId, { registration, device });
  registration.connection.send({
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'set', id: iqId, xmlns: 'md', t: core.now() },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: container },
          { tag: 'platform', attrs: { name: 'android' } },
          {
            tag: 'device',
            attrs: { jid: pnJid(account.msisdn, deviceId), lid: lidJid(account.lid, deviceId) },
          },
        ],
      },
    ],
  });
  core.events.record({ type: 'device.linked', msisdn: account.msisdn, deviceId, method });
  return device;
}

/** The companion answered pair-success with its device signature: verify it and ask for a restart (515). */
export function handlePairDeviceSign(core: SimulatorCore, node: BinaryNode): boolean {
  const pending = core.pendingPairSigns.get(node.attrs.id ?? '');
  if (!pending) return false;
  core.pendingPairSigns.delete(node.attrs.id ?? '');
  const { registration, device } = pending;
  const identityNode = getBinaryNodeChild(getBinaryNodeChild(node, 'pair-device-sign'), 'device-identity');
  if (identityNode?.content instanceof Uint8Array) {
    const signed = proto.ADVSignedDeviceIdentity.decode(identityNode.content);
    const message = Buffer.concat([
      DEVICE_SIG_PREFIX,
      signed.details ?? Buffer.alloc(0),
      device.identityKey,
      device.account.phone.identity.public,
    ]);
    if (!signed.deviceSignature || !Curve.verify(device.identityKey, message, signed.deviceSignature)) {
      device.account.devices.delete(device.id);
      registration.connection.send({ tag: 'stream:error', attrs: { code: '401' } });
      registration.connection.end();
      return true;
    }
  }
  registration.connection.send({ tag: 'stream:error', attrs: { code: RESTART_REQUIRED } });
  registration.connection.end();
  return true;
}
