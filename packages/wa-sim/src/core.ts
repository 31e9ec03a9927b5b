// Shared simulator state and the primitives every protocol handler uses (lookup, delivery, ids, clock).
import { randomBytes, randomInt } from 'node:crypto';
import { type BinaryNode, jidDecode } from '@whiskeysockets/baileys';
import type { NoiseIdentity } from './cert-chain.ts';
import type { Connection } from './connection.ts';
import { EventLog } from './events.ts';
import { newMediaAuth } from './media-conn.ts';
import { type Account, type LinkedDevice, lidJid } from './model.ts';
import { Phone } from './phone.ts';
import type { Registration } from './session-context.ts';

export interface CoreOptions {
  /** Number of QR refs sent to a registering client (Baileys shows one QR per ref, then closes with 408). */
  qrRefs: number;
  /** Receipts from simulated phones are sent automatically unless an account turns them off. */
  autoReceipts: boolean;
  /** Delay before a phone's automatic delivered receipt. */
  deliveredReceiptDelayMs: number;
  /** Delay between the automatic delivered and read receipts. */
  readReceiptDelayMs: number;
  /** Delay after `<ib><offline>` before the own phone sends the first-login history sync. */
  historySyncDelayMs: number;
  /** Media host `host:port` advertised in media_conn, once the media host is listening. */
  mediaHost?: string;
}

export const SERVER_JID = 's.whatsapp.net';
const MAX_OFFLINE_QUEUE = 10_000;

export class SimulatorCore {
  readonly options: CoreOptions;
  readonly identity: NoiseIdentity;
  readonly events = new EventLog();
  readonly accounts = new Map<string, Account>();
  readonly #accountsByLid = new Map<string, Account>();
  readonly connections = new Set<Connection>();
  /** Logins are refused (failure 503) until this time. */
  refuseLoginsUntil = 0;
  /** Token the media host requires on uploads (the `auth` of media_conn). */
  readonly mediaAuth = newMediaAuth();
  /** Encrypted media blobs by direct path, served by the media host. */
  readonly mediaBlobs = new Map<string, Buffer>();
  /** Message stanzas accepted from linked devices (acked without error). */
  messagesRelayed = 0;
  /** IQs received, by namespace: lets tests see that nothing re-queries in a loop. */
  readonly iqCounts = new Map<string, number>();
  /** Registering companions waiting for a scan, by QR ref. */
  readonly registrationsByRef = new Map<string, Registration>();
  /** Companions that asked for pairing-code linking, by the phone number they named. */
  readonly linkCodesByMsisdn = new Map<string, Registration>();
  /** pair-success IQs waiting for the companion's pair-device-sign, by IQ id. */
  readonly pendingPairSigns = new Map<string, { registration: Registration; device: LinkedDevice }>();
  /** Messages sent on a connection that its device has not answered yet, by message id. */
  readonly #unanswered = new WeakMap<Connection, Map<string, BinaryNode>>();

  constructor(options: CoreOptions, identity: NoiseIdentity) {
    this.options = options;
    this.identity = identity;
  }

  createAccount(msisdn: string, pushName = `Sim ${msisdn}`): Account {
    if (!/^\d{6,15}$/.test(msisdn)) throw new Error(`invalid msisdn ${msisdn}: expected 6 to 15 digits`);
    const existing = this.accounts.get(msisdn);
    if (existing) return existing;
    let lid: string;
    do lid = `${randomInt(1, 9)}${randomBytes(8).readBigUInt64BE() % 10n ** 14n}`.padEnd(15, '0');
    while (this.#accountsByLid.has(lid));
    const account: Account = {
      msisdn,
      lid,
      pushName,
      phone: new Phone(),
      devices: new Map(),
      nextDeviceId: 1,
      autoReceipts: this.options.autoReceipts,
      rateLimited: false,
      inbox: [],
      sentByPhone: new Map(),
    };
    this.accounts.set(msisdn, account);
    this.#accountsByLid.set(lid, account);
    this.events.record({ type: 'account.created', msisdn, lid: lidJid(lid) });
    return account;
  }

  getAccount(msisdn: string): Account {
    const account = this.accounts.get(msisdn);
    if (!account) throw new Error(`unknown account ${msisdn}`);
    return account;
  }

  /** Resolves a phone-number or LID jid (with or without device) to a known account. */
  resolveJid(jid: string): { account: Account; device: number } | undefined {
    const decoded = jidDecode(jid);
    if (!decoded?.user) return undefined;
    const account =
      decoded.server === 'lid' ? this.#accountsByLid.get(decoded.user) : this.accounts.get(decoded.user);
    return account ? { account, device: decoded.device ?? 0 } : undefined;
  }

  /** Sends to a linked device now, or holds the stanza until its next login. */
  deliverToDevice(device: LinkedDevice, node: BinaryNode): void {
    const connection = device.connection;
    if (connection && !connection.closed) {
      this.sendToDevice(connection, node);
      return;
    }
    device.offlineQueue.push({ ...node, attrs: { ...node.attrs, offline: '1' } });
    // a device that never comes back must not grow the simulator without bound: keep the newest stanzas
    if (device.offlineQueue.length > MAX_OFFLINE_QUEUE) device.offlineQueue.shift();
  }

  /**
   * Sends a stanza on a device's connection. A message stays WhatsApp's to deliver until the device answers it
   * (a receipt, or an ack for one it refuses): one the connection took but never answered is sent again at the
   * device's next login, as WhatsApp does for a client that died with it unprocessed.
   */
  sendToDevice(connection: Connection, node: BinaryNode): void {
    connection.send(node);
    if (node.tag !== 'message' || !node.attrs.id) return;
    const unanswered = this.#unanswered.get(connection) ?? new Map<string, BinaryNode>();
    this.#unanswered.set(connection, unanswered);
    unanswered.set(node.attrs.id, node);
  }

  /** The device answered these message ids on this connection. */
  answered(connection: Connection, ids: string[]): void {
    const unanswered = this.#unanswered.get(connection);
    for (const id of ids) unanswered?.delete(id);
  }

  /** A device's connection closed: what it took and never answered goes first into the offline queue. */
  requeueUnanswered(connection: Connection, device: LinkedDevice): void {
    const unanswered = this.#unanswered.get(connection);
    this.#unanswered.delete(connection);
    if (!unanswered?.size) return;
    const again = [...unanswered.values()].map((node) => ({
      ...node,
      attrs: { ...node.attrs, offline: '1' },
    }));
    device.offlineQueue.unshift(...again);
  }

  newMessageId(): string {
    return `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
  }

  now(): string {
    return Math.floor(Date.now() / 1000).toString();
  }
}
