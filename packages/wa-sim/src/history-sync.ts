// First login after pairing: the own phone pushes an inline history-sync notification so Baileys' initial sync completes at once.
import { deflateSync } from 'node:zlib';
import { encodeWAMessage, proto } from '@whiskeysockets/baileys';
import { takeBundle } from './bundle.ts';
import type { SimulatorCore } from './core.ts';
import { type LinkedDevice, lidJid, pnJid } from './model.ts';

export function scheduleHistorySync(core: SimulatorCore, device: LinkedDevice): void {
  setTimeout(() => {
    void sendHistorySync(core, device).catch(() => undefined);
  }, core.options.historySyncDelayMs).unref();
}

async function sendHistorySync(core: SimulatorCore, device: LinkedDevice): Promise<void> {
  const connection = device.connection;
  if (device.historySynced || !connection || connection.closed) return;
  const account = device.account;
  const history = proto.HistorySync.encode({
    syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
    conversations: [],
    phoneNumberToLidMappings: [{ pnJid: pnJid(account.msisdn), lidJid: lidJid(account.lid) }],
  }).finish();
  const message: proto.IMessage = {
    protocolMessage: {
      type: proto.Message.ProtocolMessage.Type.HISTORY_SYNC_NOTIFICATION,
      historySyncNotification: {
        syncType: proto.HistorySync.HistorySyncType.INITIAL_BOOTSTRAP,
        initialHistBootstrapInlinePayload: deflateSync(history),
      },
    },
  };
  const { type, ciphertext } = await account.phone.encrypt(
    account.msisdn,
    device.id,
    encodeWAMessage(message),
    () => takeBundle(core, lidJid(account.lid, device.id)),
  );
  device.historySynced = true;
  connection.send({
    tag: 'message',
    attrs: {
      from: pnJid(account.msisdn),
      id: core.newMessageId(),
      t: core.now(),
      type: 'text',
      category: 'peer',
    },
    content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }],
  });
  core.events.record({ type: 'history.sent', msisdn: account.msisdn, deviceId: device.id });
}
