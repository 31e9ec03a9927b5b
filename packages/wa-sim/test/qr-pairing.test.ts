import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, memoryAuthState } from './baileys-client.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ qr: { refs: 3 } });
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

describe('QR registration', () => {
  it('rotates one QR per ref and closes with 408 after the last', async () => {
    const client = new BaileysClient(sim.url, memoryAuthState(), { qrTimeout: 150 });
    const code = await client.waitForClose();
    const qrs = client.log.filter((r) => r.event === 'connection.update' && (r.data as { qr?: string }).qr);
    expect(qrs).toHaveLength(3);
    expect(code).toBe(408);
  });

  it('pairs on scan, restarts with 515, then logs in and opens', async () => {
    sim.createAccount('15550001');
    const auth = memoryAuthState();
    const first = new BaileysClient(sim.url, auth);
    const qr = await first.waitForQr();
    const device = sim.scanQr('15550001', qr);
    expect(await first.waitForClose()).toBe(515);
    expect(auth.creds.me?.id).toBe(`15550001:${device.deviceId}@s.whatsapp.net`);
    expect(auth.creds.me?.lid).toBe(device.lid);

    const second = new BaileysClient(sim.url, auth);
    await second.waitForOpen();
    expect(sim.devices('15550001')[0]).toMatchObject({ deviceId: device.deviceId, online: true });
    second.end();
  });
});
