// 1:1 messaging: stanzas from linked devices fanned out to phones and devices, receipts, and phones sending to devices.
import {
  type BinaryNode,
  encodeWAMessage,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  jidDecode,
  proto,
  unpadRandomMax16,
} from '@whiskeysockets/baileys';
import { takeBundle } from './bundle.ts';
import type { SimulatorCore } from './core.ts';
import { decryptMedia, type MediaKind } from './media-crypto.ts';
import {
  type Account,
  type LinkedDevice,
  lidJid,
  type MediaView,
  type PhoneMessage,
  pnJid,
} from './model.ts';
import type { CipherType } from './phone.ts';

/**
 * Error code of the ack for a send refused by the per-account rate-limit switch. Baileys turns any ack with an
 * `error` attribute into `messages.update` status ERROR (0) with `messageStubParameters: ['429']`.
 */
export const RATE_LIMITED_ACK_ERROR = '429';

interface EncryptedPart {
  jid: string;
  enc: BinaryNode;
}

function encryptedParts(node: BinaryNode): EncryptedPart[] {
  const participants = getBinaryNodeChild(node, 'participants');
  if (participants) {
    return getBinaryNodeChildren(participants, 'to').flatMap((to) => {
      const enc = getBinaryNodeChild(to, 'enc');
      return enc && to.attrs.jid ? [{ jid: to.attrs.jid, enc }] : [];
    });
  }
  const enc = getBinaryNodeChild(node, 'enc');
  return enc && node.attrs.to ? [{ jid: node.attrs.to, enc }] : [];
}

/** A `<message>` sent by a linked device: ack it, then hand each encrypted copy to the phone or device it is for. */
export async function handleDeviceMessage(
  core: SimulatorCore,
  device: LinkedDevice,
  node: BinaryNode,
): Promise<void> {
  const sender = device.account;
  const id = node.attrs.id ?? '';
  const to = node.attrs.to ?? '';
  const ack: BinaryNode = { tag: 'ack', attrs: { class: 'message', id, from: to, t: core.now() } };
  if (sender.rateLimited) {
    ack.attrs.error = RATE_LIMITED_ACK_ERROR;
    device.connection?.send(ack);
    core.events.record({
      type: 'message.relayed',
      from: sender.msisdn,
      fromDevice: device.id,
      to,
      id,
      error: RATE_LIMITED_ACK_ERROR,
    });
    return;
  }
  device.connection?.send(ack);
  core.messagesRelayed++;
  core.events.record({ type: 'message.relayed', from: sender.msisdn, fromDevice: device.id, to, id });
  const chat = jidDecode(to)?.user ?? '';
  for (const part of encryptedParts(node)) {
    const target = core.resolveJid(part.jid);
    if (!target) continue;
    if (target.device === 0) {
      await receiveOnPhone(core, target.account, sender, device.id, id, part.enc).catch((error: Error) =>
        core.events.record({
          type: 'phone.decrypt_failed',
          msisdn: target.account.msisdn,
          id,
          from: sender.msisdn,
          error: error.message,
        }),
      );
      continue;
    }
    const targetDevice = target.account.devices.get(target.device);
    if (!targetDevice || targetDevice === device) continue;
    const ownAccount = target.account === sender;
    core.deliverToDevice(targetDevice, {
      tag: 'message',
      attrs: {
        from: pnJid(sender.msisdn, device.id),
        id,
        t: core.now(),
        type: node.attrs.type ?? 'text',
        ...(ownAccount
          ? { recipient: pnJid(chat) }
          : { notify: sender.pushName, sender_lid: lidJid(sender.lid) }),
      },
      content: [part.enc],
    });
  }
}

function mediaOf(message: proto.IMessage):
  | {
      kind: MediaKind;
      media:
        | proto.Message.IImageMessage
        | proto.Message.IDocumentMessage
        | proto.Message.IVideoMessage
        | proto.Message.IAudioMessage;
    }
  | undefined {
  if (message.imageMessage) return { kind: 'image', media: message.imageMessage };
  if (message.documentMessage) return { kind: 'document', media: message.documentMessage };
  if (message.videoMessage) return { kind: 'video', media: message.videoMessage };
  if (message.audioMessage) return { kind: 'audio', media: message.audioMessage };
  return undefined;
}

function fetchMedia(core: SimulatorCore, message: proto.IMessage): MediaView | undefined {
  const found = mediaOf(message);
  if (!found?.media.mediaKey) return undefined;
  const { kind, media } = found;
  const path = media.directPath ?? (media.url ? new URL(media.url).pathname : undefined);
  const blob = path ? core.mediaBlobs.get(path) : undefined;
  if (!blob) return undefined;
  return {
    mimetype: media.mimetype ?? 'application/octet-stream',
    ...('caption' in media && media.caption ? { caption: media.caption } : {}),
    ...('fileName' in media && media.fileName ? { fileName: media.fileName } : {}),
    data: decryptMedia(blob, media.mediaKey!, kind),
  };
}

async function receiveOnPhone(
  core: SimulatorCore,
  account: Account,
  sender: Account,
  senderDevice: number,
  id: string,
  enc: BinaryNode,
): Promise<void> {
  if (!(enc.content instanceof Uint8Array)) return;
  const type = enc.attrs.type as CipherType;
  const plaintext = await account.phone.decrypt(sender.msisdn, senderDevice, type, enc.content);
  let message = proto.Message.decode(unpadRandomMax16(plaintext));
  let chat = sender.msisdn;
  const ownDeviceCopy = sender === account;
  if (message.deviceSentMessage?.message) {
    chat = jidDecode(message.deviceSentMessage.destinationJid ?? '')?.user ?? chat;
    message = proto.Message.create(message.deviceSentMessage.message);
  }
  // Like a real phone, a message id already shown from this sender is not shown again (a client that
  // replays a send after a crash uses the same id); it is acknowledged again so the sender sees it arrive.
  if (
    account.inbox.some(
      (seen) => seen.id === id && seen.from === sender.msisdn && seen.ownDeviceCopy === ownDeviceCopy,
    )
  ) {
    core.events.record({ type: 'phone.duplicate_ignored', msisdn: account.msisdn, id, from: sender.msisdn });
    if (!ownDeviceCopy && account.autoReceipts) scheduleAutoReceipts(core, account, sender, id);
    return;
  }
  const text = message.conversation ?? message.extendedTextMessage?.text ?? undefined;
  const media = fetchMedia(core, message);
  const entry: PhoneMessage = {
    id,
    from: sender.msisdn,
    fromDevice: senderDevice,
    chat,
    ownDeviceCopy,
    ...(text ? { text } : {}),
    ...(media ? { media } : {}),
    message: proto.Message.toObject(message, { bytes: String, longs: Number }) as Record<string, unknown>,
    receivedAt: Date.now(),
  };
  account.inbox.push(entry);
  core.events.record({
    type: 'phone.received',
    msisdn: account.msisdn,
    id,
    from: sender.msisdn,
    ...(text ? { text } : {}),
    ownDeviceCopy,
  });
  if (!ownDeviceCopy && account.autoReceipts) scheduleAutoReceipts(core, account, sender, id);
}

/**
 * Delivered, then read, each after its configured delay. Baileys merges status updates that reach it within ~100 ms
 * of the message's own upsert into one event, so the defaults (250 ms each) keep delivered (3) and read (4) apart.
 */
function scheduleAutoReceipts(core: SimulatorCore, account: Account, sender: Account, id: string): void {
  const { deliveredReceiptDelayMs, readReceiptDelayMs } = core.options;
  setTimeout(() => {
    if (!account.autoReceipts) return;
    sendPhoneReceipt(core, account, sender, id, 'delivered');
    setTimeout(() => {
      if (account.autoReceipts) sendPhoneReceipt(core, account, sender, id, 'read');
    }, readReceiptDelayMs).unref();
  }, deliveredReceiptDelayMs).unref();
}

/** The phone of `from` tells every linked device of `to` that it got (or read) message `id`. */
export function sendPhoneReceipt(
  core: SimulatorCore,
  from: Account,
  to: Account,
  id: string,
  receipt: 'delivered' | 'read',
): void {
  const node: BinaryNode = {
    tag: 'receipt',
    attrs: { from: pnJid(from.msisdn), id, t: core.now(), ...(receipt === 'read' ? { type: 'read' } : {}) },
  };
  for (const device of to.devices.values()) core.deliverToDevice(device, node);
  core.events.record({ type: 'receipt.sent', from: from.msisdn, to: to.msisdn, id, receipt });
}

/** The message ids a receipt covers: its own id and those of its `<list>`. */
export function receiptIds(node: BinaryNode): string[] {
  return [
    node.attrs.id ?? '',
    ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').map((item) => item.attrs.id ?? ''),
  ];
}

/** A receipt from a linked device (for a message it received): ack it and tell the sending phone. */
export function handleDeviceReceipt(core: SimulatorCore, device: LinkedDevice, node: BinaryNode): void {
  const id = node.attrs.id ?? '';
  const to = node.attrs.to ?? '';
  device.connection?.send({
    tag: 'ack',
    attrs: { class: 'receipt', id, from: to, ...(node.attrs.type ? { type: node.attrs.type } : {}) },
  });
  const target = core.resolveJid(to);
  if (!target) return;
  const receipt = node.attrs.type ?? 'delivered';
  for (const messageId of receiptIds(node)) {
    const sent = target.account.sentByPhone.get(messageId);
    if (sent && (receipt === 'read' || (receipt === 'delivered' && sent.status === 'sent')))
      sent.status = receipt;
    core.events.record({
      type: 'receipt.received',
      msisdn: target.account.msisdn,
      from: device.account.msisdn,
      id: messageId,
      receipt,
    });
  }
}

/** The phone of `from` sends `message` to every linked device of `to`, Signal-encrypted per device. */
export async function sendFromPhone(
  core: SimulatorCore,
  from: Account,
  to: Account,
  message: proto.IMessage,
  stanzaType: 'text' | 'media',
): Promise<string> {
  const id = core.newMessageId();
  const plaintext = encodeWAMessage(message);
  const mediaType = mediaOf(message)?.kind;
  for (const device of to.devices.values()) {
    const { type, ciphertext } = await from.phone.encrypt(to.msisdn, device.id, plaintext, () =>
      takeBundle(core, lidJid(to.lid, device.id)),
    );
    core.deliverToDevice(device, {
      tag: 'message',
      attrs: {
        from: pnJid(from.msisdn),
        id,
        t: core.now(),
        type: stanzaType,
        notify: from.pushName,
        sender_lid: lidJid(from.lid),
      },
      content: [
        {
          tag: 'enc',
          attrs: { v: '2', type, ...(mediaType ? { mediatype: mediaType } : {}) },
          content: ciphertext,
        },
      ],
    });
    core.events.record({
      type: 'phone.sent',
      from: from.msisdn,
      to: to.msisdn,
      deviceId: device.id,
      id,
      cipher: type,
    });
  }
  from.sentByPhone.set(id, {
    id,
    to: to.msisdn,
    ...(message.conversation ? { text: message.conversation } : {}),
    status: 'sent',
  });
  return id;
}
