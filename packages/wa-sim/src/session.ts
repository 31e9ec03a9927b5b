// Connection lifecycle after the handshake: registration or login, node dispatch, going offline.
import type { BinaryNode, proto } from '@whiskeysockets/baileys';
import type { Connection, ConnectionHandlers } from './connection.ts';
import { SERVER_JID, type SimulatorCore } from './core.ts';
import { scheduleHistorySync } from './history-sync.ts';
import { routeIq } from './iq-router.ts';
import { handleDeviceMessage, handleDeviceReceipt, receiptIds } from './messaging.ts';
import { lidJid } from './model.ts';
import { endRegistration, handlePairDeviceSign, startRegistration } from './pairing.ts';
import { contextOf } from './session-context.ts';

/** `<failure reason=503>` while logins are refused: Baileys closes with 503 (unavailableService), a transient error. */
const LOGIN_REFUSED_REASON = '503';
const LOGGED_OUT_REASON = '401';

export function connectionHandlers(core: SimulatorCore): ConnectionHandlers {
  return {
    onAuthenticated(connection, clientStaticKey, payload) {
      if (payload.username === null || payload.username === undefined || payload.devicePairingData) {
        startRegistration(core, connection, clientStaticKey, payload);
      } else {
        login(core, connection, clientStaticKey, payload);
      }
    },
    onNode(connection, node) {
      dispatch(core, connection, node);
    },
    onClose(connection) {
      core.connections.delete(connection);
      const context = contextOf(connection);
      if (context?.kind === 'registration') {
        endRegistration(core, context);
      } else if (context?.kind === 'device') {
        core.requeueUnanswered(connection, context.device);
        if (context.device.connection !== connection) return;
        context.device.connection = undefined;
        core.events.record({
          type: 'device.offline',
          msisdn: context.device.account.msisdn,
          deviceId: context.device.id,
        });
      }
    },
  };
}

function refuse(
  core: SimulatorCore,
  connection: Connection,
  reason: string,
  msisdn: string,
  deviceId: number,
): void {
  connection.send({ tag: 'failure', attrs: { reason, location: 'sim' } });
  connection.end();
  core.events.record({ type: 'login.refused', msisdn, deviceId, reason });
}

function login(
  core: SimulatorCore,
  connection: Connection,
  noiseKey: Buffer,
  payload: proto.ClientPayload,
): void {
  const msisdn = String(payload.username);
  const deviceId = payload.device ?? 0;
  if (Date.now() < core.refuseLoginsUntil) {
    refuse(core, connection, LOGIN_REFUSED_REASON, msisdn, deviceId);
    return;
  }
  const account = core.accounts.get(msisdn);
  const device = account?.devices.get(deviceId);
  if (!account || !device?.noiseKey.equals(noiseKey)) {
    refuse(core, connection, LOGGED_OUT_REASON, msisdn, deviceId);
    return;
  }
  const previous = device.connection;
  device.connection = connection;
  connection.context = { kind: 'device', device };
  if (previous && !previous.closed) {
    previous.send({
      tag: 'stream:error',
      attrs: {},
      content: [{ tag: 'conflict', attrs: { type: 'replaced' } }],
    });
    previous.end();
  }
  connection.send({
    tag: 'success',
    attrs: {
      t: core.now(),
      props: '1',
      abprops: '1',
      location: 'sim',
      creation: Math.floor(device.linkedAt / 1000).toString(),
      lid: lidJid(account.lid, deviceId),
    },
  });
  const queued = device.offlineQueue.splice(0);
  for (const node of queued) core.sendToDevice(connection, node);
  connection.send({
    tag: 'ib',
    attrs: { from: SERVER_JID },
    content: [{ tag: 'offline', attrs: { count: String(queued.length) } }],
  });
  core.events.record({ type: 'device.online', msisdn, deviceId, offline: queued.length });
  if (!device.historySynced) scheduleHistorySync(core, device);
}

function dispatch(core: SimulatorCore, connection: Connection, node: BinaryNode): void {
  const context = contextOf(connection);
  switch (node.tag) {
    case 'iq':
      if (node.attrs.type === 'result' || node.attrs.type === 'error') {
        handlePairDeviceSign(core, node);
        return;
      }
      routeIq(core, connection, node);
      return;
    case 'message':
      if (context?.kind === 'device') void handleDeviceMessage(core, context.device, node);
      return;
    case 'receipt':
      if (context?.kind === 'device') {
        core.answered(connection, receiptIds(node));
        handleDeviceReceipt(core, context.device, node);
      }
      return;
    case 'ack':
      // a message the device refused (undecryptable, unsupported): answered, not to be sent again
      if (node.attrs.class === 'message' && node.attrs.id) core.answered(connection, [node.attrs.id]);
      return;
    default:
      // presence, chatstate, ib telemetry: nothing the simulator needs to answer
      return;
  }
}
