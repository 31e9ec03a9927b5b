// The control API: everything a test, another process (via control-http) or a demo page can make the simulated world do.
import type { proto } from '@whiskeysockets/baileys';
import type { SimulatorCore } from './core.ts';
import { type KickKind, kickDevice } from './kicks.ts';
import { encryptMedia, type MediaKind } from './media-crypto.ts';
import { storeBlob } from './media-host.ts';
import { sendFromPhone, sendPhoneReceipt } from './messaging.ts';
import {
  type Account,
  type LinkedDevice,
  lidJid,
  type PhoneMessage,
  pnJid,
  type SentByPhone,
} from './model.ts';
import { scanQr } from './pairing.ts';
import { enterPairingCode } from './pairing-code.ts';
import { type QrOnOffer, QrScreens } from './qr-codes.ts';

export interface DeviceInfo {
  deviceId: number;
  jid: string;
  lid: string;
  platform: string;
  online: boolean;
  linkedAt: number;
  queued: number;
}

export interface AccountInfo {
  msisdn: string;
  jid: string;
  lid: string;
  pushName: string;
  autoReceipts: boolean;
  rateLimited: boolean;
  devices: DeviceInfo[];
}

export interface MediaInput {
  data: Buffer;
  mimetype: string;
  caption?: string;
  fileName?: string;
}

function deviceInfo(device: LinkedDevice): DeviceInfo {
  return {
    deviceId: device.id,
    jid: pnJid(device.account.msisdn, device.id),
    lid: lidJid(device.account.lid, device.id),
    platform: device.platform,
    online: Boolean(device.connection && !device.connection.closed),
    linkedAt: device.linkedAt,
    queued: device.offlineQueue.length,
  };
}

function accountInfo(account: Account): AccountInfo {
  return {
    msisdn: account.msisdn,
    jid: pnJid(account.msisdn),
    lid: lidJid(account.lid),
    pushName: account.pushName,
    autoReceipts: account.autoReceipts,
    rateLimited: account.rateLimited,
    devices: [...account.devices.values()].map(deviceInfo),
  };
}

export class SimulatorControl {
  readonly #core: SimulatorCore;
  readonly #screens: QrScreens;

  constructor(core: SimulatorCore) {
    this.#core = core;
    this.#screens = new QrScreens(core);
    // A companion that is not marked online (Baileys' markOnlineOnConnect: false, as the worker runs) answers
    // with `inactive` receipts; WhatsApp shows those to the sender as delivered, so the phone does too.
    core.events.on('event', (event) => {
      if (event.type !== 'receipt.received' || event.receipt !== 'inactive') return;
      const sent = core.accounts.get(event.msisdn)?.sentByPhone.get(event.id);
      if (sent?.status === 'sent') sent.status = 'delivered';
    });
  }

  get events() {
    return this.#core.events;
  }

  /** Creates (or returns) the account and simulated phone for a phone number (digits only). */
  createAccount(msisdn: string, options: { pushName?: string } = {}): AccountInfo {
    return accountInfo(this.#core.createAccount(msisdn, options.pushName));
  }

  account(msisdn: string): AccountInfo {
    return accountInfo(this.#core.getAccount(msisdn));
  }

  accounts(): AccountInfo[] {
    return [...this.#core.accounts.values()].map(accountInfo);
  }

  devices(msisdn: string): DeviceInfo[] {
    return accountInfo(this.#core.getAccount(msisdn)).devices;
  }

  /** The phone of `msisdn` scans a QR string exactly as Baileys emitted it in `connection.update`. */
  scanQr(msisdn: string, qr: string): DeviceInfo {
    return deviceInfo(scanQr(this.#core, this.#core.getAccount(msisdn), qr));
  }

  /**
   * A registering companion's screen shows `qr` (the string Baileys emitted) until `expiresAt` (epoch ms,
   * default in 60 s); a newer QR of the same companion replaces it. The simulator never learns a companion's
   * ADV secret by itself, so this is how a QR becomes scannable from the phone page.
   */
  showQr(qr: string, options: { expiresAt?: number } = {}): QrOnOffer {
    return this.#screens.show(qr, options.expiresAt);
  }

  /** The QR codes on offer now: one per registering companion whose screen showed one that has not expired. */
  qrCodes(): QrOnOffer[] {
    return this.#screens.list();
  }

  /** The phone of `msisdn` enters the 8-character code the companion got from `requestPairingCode`. */
  async enterPairingCode(msisdn: string, code: string): Promise<DeviceInfo> {
    return deviceInfo(await enterPairingCode(this.#core, this.#core.getAccount(msisdn), code));
  }

  /** A text from the phone of `from` to every linked device of `to`. */
  async sendText(from: string, to: string, text: string): Promise<{ id: string }> {
    const sentAt = Date.now();
    const id = await sendFromPhone(
      this.#core,
      this.#core.getAccount(from),
      this.#core.getAccount(to),
      { conversation: text },
      'text',
    );
    this.#stampSent(from, id, sentAt);
    return { id };
  }

  /** An image (or document) from the phone of `from`: the blob is encrypted and served by the media host. */
  async sendMedia(
    from: string,
    to: string,
    kind: 'image' | 'document',
    input: MediaInput,
  ): Promise<{ id: string }> {
    const mediaHost = this.#core.options.mediaHost;
    if (!mediaHost) throw new Error('the media host is disabled');
    const encrypted = encryptMedia(input.data, kind as MediaKind);
    const directPath = storeBlob(this.#core, kind, encrypted.blob);
    const common = {
      url: `https://${mediaHost}${directPath}`,
      directPath,
      mediaKey: encrypted.mediaKey,
      fileEncSha256: encrypted.fileEncSha256,
      fileSha256: encrypted.fileSha256,
      fileLength: input.data.length,
      mimetype: input.mimetype,
      mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    };
    const message: proto.IMessage =
      kind === 'image'
        ? { imageMessage: { ...common, ...(input.caption ? { caption: input.caption } : {}) } }
        : {
            documentMessage: {
              ...common,
              fileName: input.fileName ?? 'file',
              ...(input.caption ? { caption: input.caption } : {}),
            },
          };
    const sentAt = Date.now();
    const id = await sendFromPhone(
      this.#core,
      this.#core.getAccount(from),
      this.#core.getAccount(to),
      message,
      'media',
    );
    this.#stampSent(from, id, sentAt, kind === 'image' ? 'image' : (input.fileName ?? 'file'), input.caption);
    return { id };
  }

  /** Serves `data` as a plain file from the media host (for "send media by URL" tests); returns its https URL. */
  hostFile(data: Buffer): string {
    const mediaHost = this.#core.options.mediaHost;
    if (!mediaHost) throw new Error('the media host is disabled');
    return `https://${mediaHost}${storeBlob(this.#core, 'file', data)}`;
  }

  sendImage(from: string, to: string, input: MediaInput): Promise<{ id: string }> {
    return this.sendMedia(from, to, 'image', input);
  }

  /** What the phone of `msisdn` received and decrypted, oldest first. */
  inbox(msisdn: string): PhoneMessage[] {
    return [...this.#core.getAccount(msisdn).inbox];
  }

  /** Status of a message the phone of `msisdn` sent, as told by the linked devices' receipts. */
  sentStatus(msisdn: string, id: string): SentByPhone | undefined {
    return this.#core.getAccount(msisdn).sentByPhone.get(id);
  }

  /** Everything the phone of `msisdn` sent, oldest first, with its delivered/read status. */
  sentMessages(msisdn: string): SentByPhone[] {
    return [...this.#core.getAccount(msisdn).sentByPhone.values()];
  }

  #stampSent(msisdn: string, id: string, sentAt: number, media?: string, caption?: string): void {
    const sent = this.#core.getAccount(msisdn).sentByPhone.get(id);
    if (!sent) return;
    sent.sentAt = sentAt;
    if (media) sent.media = caption ? { name: media, caption } : { name: media };
  }

  /** The phone of `msisdn` sends a receipt for a message it received (use with automatic receipts off). */
  sendReceipt(msisdn: string, messageId: string, receipt: 'delivered' | 'read'): void {
    const account = this.#core.getAccount(msisdn);
    const message = account.inbox.find((entry) => entry.id === messageId && !entry.ownDeviceCopy);
    if (!message) throw new Error(`phone ${msisdn} has no received message ${messageId}`);
    sendPhoneReceipt(this.#core, account, this.#core.getAccount(message.from), messageId, receipt);
  }

  setAutoReceipts(msisdn: string, enabled: boolean): void {
    this.#core.getAccount(msisdn).autoReceipts = enabled;
  }

  /** While on, every send from any linked device of this account gets an error ack (429): WhatsApp's rate limit. */
  setRateLimited(msisdn: string, limited: boolean): void {
    this.#core.getAccount(msisdn).rateLimited = limited;
  }

  kick(msisdn: string, deviceId: number, kind: KickKind): void {
    const device = this.#core.getAccount(msisdn).devices.get(deviceId);
    if (!device) throw new Error(`account ${msisdn} has no device ${deviceId}`);
    kickDevice(this.#core, device, kind);
  }

  /** Every login in the next `ms` milliseconds gets `<failure reason=503>` (Baileys: close 503). 0 lifts it. */
  refuseLogins(ms: number): void {
    this.#core.refuseLoginsUntil = ms > 0 ? Date.now() + ms : 0;
  }

  /** Cuts every client socket at once (Baileys: close 428), as a server crash or network loss would. */
  dropAll(): number {
    const connections = [...this.#core.connections];
    for (const connection of connections) connection.terminate();
    return connections.length;
  }

  stats(): {
    accounts: number;
    linkedDevices: number;
    onlineDevices: number;
    connections: number;
    messagesRelayed: number;
    iqs: Record<string, number>;
  } {
    let linkedDevices = 0;
    let onlineDevices = 0;
    for (const account of this.#core.accounts.values()) {
      for (const device of account.devices.values()) {
        linkedDevices++;
        if (device.connection && !device.connection.closed) onlineDevices++;
      }
    }
    return {
      accounts: this.#core.accounts.size,
      linkedDevices,
      onlineDevices,
      connections: this.#core.connections.size,
      messagesRelayed: this.#core.messagesRelayed,
      iqs: Object.fromEntries(this.#core.iqCounts),
    };
  }
}
