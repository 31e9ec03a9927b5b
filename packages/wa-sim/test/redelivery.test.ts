// WhatsApp keeps a message until the device answers it (receipt, or an ack refusing it): one a client took but
// died before answering comes again at its next login; an answered one never does.
import type { BinaryNode } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, linkDevice } from './baileys-client.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

describe('messages a device never answered', () => {
  it('are sent again at its next login; answered ones are not', async () => {
    sim.createAccount('15552001');
    sim.createAccount('15552002');
    const { client } = await linkDevice(sim, '15552001');
    const auth = client.auth;

    const answered = await sim.sendText('15552002', '15552001', 'answered');
    await sim.events.waitFor('receipt.received', (e) => e.id === answered.id);

    // the client dies as the message arrives, before Baileys can send its receipt
    const died = new Promise<string>((resolve) =>
      client.sock.ws.on('CB:message', (node: BinaryNode) => {
        client.sock.ws.close();
        resolve(node.attrs.id ?? '');
      }),
    );
    const unanswered = await sim.sendText('15552002', '15552001', 'in flight when the client died');
    expect(await died).toBe(unanswered.id);
    await sim.events.waitFor('device.offline', (e) => e.msisdn === '15552001');
    expect(sim.devices('15552001')[0]?.queued).toBe(1);

    // Baileys decrypted it before dying (its prekey is gone), so this time it refuses it with an ack; what
    // matters here is that the same stanza came again, and only that one
    const again = new BaileysClient(sim.url, auth);
    const redelivered: BinaryNode[] = [];
    again.sock.ws.on('CB:message', (node: BinaryNode) => redelivered.push(node));
    const online = await sim.events.waitFor('device.online', (e) => e.msisdn === '15552001' && e.offline > 0);
    expect(online.offline).toBe(1);
    await expect.poll(() => redelivered.map((node) => node.attrs.id)).toContain(unanswered.id);
    expect(redelivered.map((node) => node.attrs.id)).not.toContain(answered.id);
    expect(redelivered.find((node) => node.attrs.id === unanswered.id)?.attrs.offline).toBe('1');
    again.end();
  });
});
