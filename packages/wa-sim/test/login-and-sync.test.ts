import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, linkDevice, memoryAuthState } from './baileys-client.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

describe('first login after pairing', () => {
  it('gets the inline history sync so Baileys finishes its initial sync at once, with default history settings', async () => {
    sim.createAccount('15551001');
    const auth = memoryAuthState();
    const registering = new BaileysClient(sim.url, auth);
    sim.scanQr('15551001', await registering.waitForQr());
    await registering.waitForClose();
    const client = new BaileysClient(sim.url, auth);
    const started = Date.now();
    await client.waitForOpen();
    await client.waitFor('creds.update', (u) => u.accountSyncCounter === 1, 15_000);
    // without the history notification Baileys waits 20 s before syncing app state; here it takes well under a second
    expect(Date.now() - started).toBeLessThan(10_000);
    await sim.events.waitFor('history.sent', (e) => e.msisdn === '15551001');
    expect(auth.creds.processedHistoryMessages).toHaveLength(1);
    const appStateIqs = sim.stats().iqs['w:sync:app:state'] ?? 0;
    expect(appStateIqs).toBeGreaterThan(0);
    expect(appStateIqs).toBeLessThan(10);
    client.end();
  });
});

describe('login with saved creds', () => {
  it('opens again on reconnect without pairing, and without a second history sync', async () => {
    sim.createAccount('15551002');
    const { client, deviceId } = await linkDevice(sim, '15551002');
    const auth = client.auth;
    client.end();
    await sim.events.waitFor('device.offline', (e) => e.msisdn === '15551002');
    const again = new BaileysClient(sim.url, auth);
    await again.waitForOpen();
    await again.waitFor('connection.update', (u) => u.receivedPendingNotifications === true);
    expect(auth.creds.me?.id).toBe(`15551002:${deviceId}@s.whatsapp.net`);
    expect(
      sim.events.since().filter((e) => e.type === 'history.sent' && e.msisdn === '15551002'),
    ).toHaveLength(1);
    expect(sim.devices('15551002')).toEqual([expect.objectContaining({ deviceId, online: true })]);
    again.end();
  });
});

describe('offline queue', () => {
  it('holds stanzas for an offline device and delivers them on its next login before the offline marker', async () => {
    sim.createAccount('15551003');
    sim.createAccount('15551004');
    const { client, deviceId } = await linkDevice(sim, '15551003');
    const auth = client.auth;
    client.end();
    await sim.events.waitFor('device.offline', (e) => e.msisdn === '15551003');

    const first = await sim.sendText('15551004', '15551003', 'sent while offline 1');
    const second = await sim.sendText('15551004', '15551003', 'sent while offline 2');
    expect(sim.devices('15551003')[0]).toMatchObject({ deviceId, online: false, queued: 2 });

    const again = new BaileysClient(sim.url, auth);
    const upserted = (id: string) =>
      again.waitFor('messages.upsert', (u) =>
        u.messages.some((m) => m.key.id === id && m.message?.conversation),
      );
    const [u1, u2] = await Promise.all([upserted(first.id), upserted(second.id)]);
    expect(u1.messages.find((m) => m.key.id === first.id)?.message?.conversation).toBe(
      'sent while offline 1',
    );
    expect(u2.messages.find((m) => m.key.id === second.id)?.message?.conversation).toBe(
      'sent while offline 2',
    );
    const online = await sim.events.waitFor('device.online', (e) => e.msisdn === '15551003' && e.offline > 0);
    expect(online.offline).toBe(2);
    expect(sim.devices('15551003')[0]?.queued).toBe(0);
    again.end();
  });
});
