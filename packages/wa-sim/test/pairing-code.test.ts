import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, memoryAuthState } from './baileys-client.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

describe('pairing-code login', () => {
  it('links when the phone enters the code, then restarts (515) and opens', async () => {
    sim.createAccount('15553001');
    const auth = memoryAuthState();
    const registering = new BaileysClient(sim.url, auth, { qrTimeout: 5_000 });
    await registering.waitForQr();
    const code = await registering.sock.requestPairingCode('15553001');
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    const device = await sim.enterPairingCode('15553001', code);
    expect(await registering.waitForClose()).toBe(515);
    expect(auth.creds.registered).toBe(true);
    expect(auth.creds.me?.id).toBe(`15553001:${device.deviceId}@s.whatsapp.net`);

    const client = new BaileysClient(sim.url, auth);
    await client.waitForOpen();
    expect(sim.devices('15553001')).toEqual([
      expect.objectContaining({ deviceId: device.deviceId, online: true }),
    ]);
    client.end();
  });

  it('rejects a wrong code and links nothing', async () => {
    sim.createAccount('15553002');
    const registering = new BaileysClient(sim.url, memoryAuthState(), { qrTimeout: 5_000 });
    await registering.waitForQr();
    await registering.sock.requestPairingCode('15553002');
    await expect(sim.enterPairingCode('15553002', 'WRONG123')).rejects.toThrow(/rejected/);
    expect(sim.devices('15553002')).toEqual([]);
    registering.end();
  });
});
