// Turns a Baileys message from a contact into the data of a message.received event (1:1 chats only).
import type { EventData } from '@whatisup/contracts';
import { isPnUser, jidDecode, type proto, type WAMessage } from '@whiskeysockets/baileys';

type Received = Omit<EventData<'message.received'>, 'message_id'>;

function senderMsisdn(message: WAMessage): string | null {
  const key = message.key as WAMessage['key'] & { remoteJidAlt?: string };
  for (const jid of [key.remoteJid, key.remoteJidAlt]) {
    if (jid && isPnUser(jid)) return jidDecode(jid)?.user ?? null;
  }
  return null;
}

function mediaOf(
  content:
    | proto.Message.IImageMessage
    | proto.Message.IVideoMessage
    | proto.Message.IAudioMessage
    | proto.Message.IDocumentMessage,
  fileName: string | null = null,
): NonNullable<Received['media']> {
  const length = content.fileLength;
  return {
    mimetype: content.mimetype ?? 'application/octet-stream',
    file_length: length === null || length === undefined ? null : Number(length),
    caption: 'caption' in content ? (content.caption ?? null) : null,
    file_name: fileName,
  };
}

export function describeInbound(message: WAMessage): Received | null {
  if (message.key.fromMe || !message.key.id || !message.message) return null;
  const from = senderMsisdn(message);
  if (!from) return null;
  const m = message.message;
  let type: string;
  let text: string | null = null;
  let media: Received['media'] = null;
  let context: proto.IContextInfo | null | undefined;
  if (m.conversation) {
    type = 'text';
    text = m.conversation;
  } else if (m.extendedTextMessage) {
    type = 'text';
    text = m.extendedTextMessage.text ?? '';
    context = m.extendedTextMessage.contextInfo;
  } else if (m.imageMessage) {
    type = 'image';
    media = mediaOf(m.imageMessage);
    text = m.imageMessage.caption ?? null;
    context = m.imageMessage.contextInfo;
  } else if (m.videoMessage) {
    type = 'video';
    media = mediaOf(m.videoMessage);
    text = m.videoMessage.caption ?? null;
    context = m.videoMessage.contextInfo;
  } else if (m.audioMessage) {
    type = 'audio';
    media = mediaOf(m.audioMessage);
    context = m.audioMessage.contextInfo;
  } else if (m.documentMessage) {
    type = 'document';
    media = mediaOf(m.documentMessage, m.documentMessage.fileName ?? null);
    text = m.documentMessage.caption ?? null;
    context = m.documentMessage.contextInfo;
  } else if (m.locationMessage) {
    type = 'location';
    text = [m.locationMessage.degreesLatitude, m.locationMessage.degreesLongitude].join(',');
  } else if (m.reactionMessage) {
    type = 'reaction';
    text = m.reactionMessage.text ?? '';
  } else if (m.stickerMessage) {
    type = 'sticker';
  } else {
    return null; // protocol messages, history sync, receipts of other kinds: not a customer-visible message
  }
  const seconds = Number(message.messageTimestamp ?? 0);
  return {
    wa_message_id: message.key.id,
    from,
    push_name: message.pushName ?? null,
    type,
    text,
    media,
    quoted_id: context?.stanzaId ?? null,
    timestamp: new Date(seconds > 0 ? seconds * 1000 : Date.now()).toISOString(),
  };
}
