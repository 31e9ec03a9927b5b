import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, memoryAuthState } from './baileys-client.ts';
import { controlCall } from './control-call.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

const call = (method: string, path: string, body?: unknown) => controlCall(sim, method, path, body);

describe('control API over HTTP', () => {
  it('drives pairing, messaging both ways, switches and kicks', async () => {
    const info = await call('GET', '');
    expect(info.json).toMatchObject({ url: sim.url, rootPublicKey: sim.rootPublicKey.toString('base64') });

    expect((await call('POST', '/accounts', { msisdn: '15556001' })).json.lid).toMatch(/@lid$/);
    await call('POST', '/accounts', { msisdn: '15556002', pushName: 'Bob' });

    const auth = memoryAuthState();
    const registering = new BaileysClient(sim.url, auth);
    const scan = await call('POST', '/accounts/15556001/scan-qr', { qr: await registering.waitForQr() });
    expect(scan.json.deviceId).toBe(1);
    await registering.waitForClose();
    const client = new BaileysClient(sim.url, auth);
    await client.waitFor('creds.update', (u) => u.accountSyncCounter === 1);

    const sent = await call('POST', '/accounts/15556002/messages', { to: '15556001', text: 'over http' });
    const upsert = await client.waitFor('messages.upsert', (u) =>
      u.messages.some((m) => m.key.id === sent.json.id),
    );
    expect(upsert.messages[0]?.message?.conversation).toBe('over http');

    const out = await client.sock.sendMessage('15556002@s.whatsapp.net', { text: 'back over http' });
    await sim.events.waitFor('phone.received', (e) => e.msisdn === '15556002' && e.id === out!.key.id);
    const inbox = await call('GET', '/accounts/15556002/inbox');
    expect(inbox.json).toEqual([
      expect.objectContaining({ id: out!.key.id, text: 'back over http', from: '15556001' }),
    ]);

    const patched = await call('PATCH', '/accounts/15556001', { rateLimited: true, autoReceipts: false });
    expect(patched.json).toMatchObject({ rateLimited: true, autoReceipts: false });
    expect((await call('GET', '/accounts/15556001/devices')).json).toEqual([
      expect.objectContaining({ deviceId: 1, online: true }),
    ]);

    expect((await call('POST', '/accounts/15556001/devices/1/kick', { kind: 'bogus' })).status).toBe(400);
    await call('POST', '/accounts/15556001/devices/1/kick', { kind: 'device_removed' });
    expect(await client.waitForClose()).toBe(401);

    const events = await call('GET', '/events?since=0');
    expect(events.json.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['device.linked', 'device.online', 'phone.received', 'device.removed']),
    );
    expect((await call('GET', '/stats')).json).toMatchObject({ accounts: 2, linkedDevices: 0 });
  });

  it('long-polls events and allows cross-origin calls from a demo page', async () => {
    const { json: before } = await call('GET', '/events?since=0');
    const last = before.at(-1)?.seq ?? 0;
    const polled = call('GET', `/events?since=${last}&waitMs=5000`);
    await call('POST', '/accounts', { msisdn: '15556003' });
    const { json: events } = await polled;
    expect(events).toEqual([
      expect.objectContaining({ type: 'account.created', msisdn: '15556003', seq: last + 1 }),
    ]);
    const preflight = await fetch(`${sim.controlUrl}/accounts`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers unknown accounts and routes with errors', async () => {
    expect((await call('GET', '/accounts/19999999')).status).toBe(400);
    expect((await call('GET', '/nope')).status).toBe(404);
    expect((await call('DELETE', '/accounts')).status).toBe(405);
    expect((await call('POST', '/accounts', { msisdn: 'abc' })).status).toBe(400);
  });
});

describe('startSimulator', () => {
  it('rejects a port that is taken, naming it, and leaves no media host listening', async () => {
    const { port } = new URL(sim.url);
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const mediaPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await expect(startSimulator({ port: Number(port), media: { port: mediaPort } })).rejects.toThrow(
      `listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
    );
    // the media host of the failed start was closed: its port can be taken again
    const again = await startSimulator({ media: { port: mediaPort } });
    await again.close();
  });
});

describe('CLI', () => {
  it('starts standalone and prints its URL, control URL, root public key and CA file', async () => {
    const cli = spawn(
      process.execPath,
      [fileURLToPath(new URL('../src/cli.ts', import.meta.url)), '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        cli.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('WA_SIM_CA_FILE=')) resolve();
        });
        cli.on('exit', () => reject(new Error(`cli exited: ${output}`)));
      });
      expect(output).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/ws\/chat/);
      expect(output).toMatch(/phone page:\s+http:\/\/127\.0\.0\.1:\d+\/phone\n/);
      expect(output).toMatch(/WA_SIM_ROOT_PUBLIC_KEY=[A-Za-z0-9+/]{43}=/);
      const controlUrl = /control:\s+(\S+)/.exec(output)?.[1];
      const stats = (await (await fetch(`${controlUrl}/stats`)).json()) as { accounts: number };
      expect(stats.accounts).toBe(0);
    } finally {
      cli.kill('SIGTERM');
    }
  });
});
