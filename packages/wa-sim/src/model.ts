// The simulator's world: accounts (one simulated phone each), their linked devices and what their phones received.
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { PreKeyBundle } from './bundle.ts';
import type { Connection } from './connection.ts';
import type { Phone } from './phone.ts';

export interface LinkedDevice {
  id: number;
  account: Account;
  /** The companion's noise static key; a login must present the same key. */
  noiseKey: Buffer;
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: PreKeyBundle['signedPreKey'];
  /** One-time prekeys uploaded by the device, handed out once each. */
  preKeys: Map<number, Buffer>;
  platform: string;
  linkedAt: number;
  connection: Connection | undefined;
  /** Stanzas held while the device is offline, delivered before `<ib><offline>` on its next login. */
  offlineQueue: BinaryNode[];
  historySynced: boolean;
}

export interface MediaView {
  mimetype: string;
  caption?: string;
  fileName?: string;
  /** Decrypted blob bytes, fetched from the media host by the phone. */
  data: Buffer;
}

/** A message a simulated phone decrypted. */
export interface PhoneMessage {
  id: string;
  /** Sender's phone number. */
  from: string;
  fromDevice: number;
  /** The chat's phone number (differs from `from` for copies of our own linked devices' sends). */
  chat: string;
  /** True for the copy of a message our own linked device sent ("device sent message"). */
  ownDeviceCopy: boolean;
  text?: string;
  media?: MediaView;
  /** The decoded proto.Message as JSON, for assertions on anything else. */
  message: Record<string, unknown>;
  receivedAt: number;
}

export interface SentByPhone {
  id: string;
  to: string;
  text?: string;
  status: 'sent' | 'delivered' | 'read';
  /** When the control API sent it (epoch ms). */
  sentAt?: number;
  /** For media sent through the control API: `image` or the document's file name, and the caption. */
  media?: { name: string; caption?: string };
}

export interface Account {
  msisdn: string;
  /** LID user part (numeric string). */
  lid: string;
  pushName: string;
  phone: Phone;
  devices: Map<number, LinkedDevice>;
  nextDeviceId: number;
  autoReceipts: boolean;
  rateLimited: boolean;
  inbox: PhoneMessage[];
  sentByPhone: Map<string, SentByPhone>;
}

export function pnJid(msisdn: string, device = 0): string {
  return device ? `${msisdn}:${device}@s.whatsapp.net` : `${msisdn}@s.whatsapp.net`;
}

export function lidJid(lid: string, device = 0): string {
  return device ? `${lid}:${device}@lid` : `${lid}@lid`;
}
