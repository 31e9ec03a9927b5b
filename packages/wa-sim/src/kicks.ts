// Ending a linked device's session the ways WhatsApp does; each maps to a Baileys close code (see README).
import type { SimulatorCore } from './core.ts';
import type { LinkedDevice } from './model.ts';

/**
 * - `replaced`: another session took over (stream:error conflict replaced) → Baileys 440, device stays linked.
 * - `device_removed`: unlinked from the phone (stream:error 401 conflict device_removed) → 401, device removed.
 * - `logged_out`: `<failure reason=401>` → 401, device removed.
 * - `drop`: the TCP connection is cut without a word → 428, device stays linked.
 */
export type KickKind = 'replaced' | 'device_removed' | 'logged_out' | 'drop';

export function kickDevice(core: SimulatorCore, device: LinkedDevice, kind: KickKind): void {
  const connection = device.connection;
  switch (kind) {
    case 'replaced':
      connection?.send({
        tag: 'stream:error',
        attrs: {},
        content: [{ tag: 'conflict', attrs: { type: 'replaced' } }],
      });
      connection?.end();
      return;
    case 'device_removed':
      connection?.send({
        tag: 'stream:error',
        attrs: { code: '401' },
        content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }],
      });
      removeDevice(core, device, 'device_removed');
      return;
    case 'logged_out':
      connection?.send({ tag: 'failure', attrs: { reason: '401', location: 'sim' } });
      removeDevice(core, device, 'logged_out');
      return;
    case 'drop':
      connection?.terminate();
      return;
  }
}

/** Unlinks a device: its creds stop working (a later login gets failure 401) and its queued stanzas are dropped. */
export function removeDevice(core: SimulatorCore, device: LinkedDevice, reason: string): void {
  const account = device.account;
  if (account.devices.get(device.id) !== device) return;
  account.devices.delete(device.id);
  device.offlineQueue.length = 0;
  device.connection?.end();
  core.events.record({ type: 'device.removed', msisdn: account.msisdn, deviceId: device.id, reason });
}
