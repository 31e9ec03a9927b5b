import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, linkDevice } from './baileys-client.ts';

let sim: Simulator;
let nextNumber = 15552000;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

async function linked() {
  const msisdn = String(nextNumber++);
  sim.createAccount(msisdn);
  const { client, deviceId } = await linkDevice(sim, msisdn);
  return { msisdn, client, deviceId };
}

/** A later login with the same creds: its close code, or 0 when it opened. */
async function loginAgain(client: BaileysClient): Promise<number> {
  const again = new BaileysClient(sim.url, client.auth);
  const result = await Promise.race([
    again.waitForOpen().then(() => 0),
    again.waitForClose().then((code) => code ?? -1),
  ]);
  again.end();
  return result;
}

describe('kicks', () => {
  it('another session with the same creds replaces the first: 440', async () => {
    const { client } = await linked();
    const second = new BaileysClient(sim.url, client.auth);
    await second.waitForOpen();
    expect(await client.waitForClose()).toBe(440);
    second.end();
  });

  it('conflict replaced from the control API: 440, and the device stays linked', async () => {
    const { msisdn, client, deviceId } = await linked();
    sim.kick(msisdn, deviceId, 'replaced');
    expect(await client.waitForClose()).toBe(440);
    expect(await loginAgain(client)).toBe(0);
  });

  it('unlinked from the phone (device_removed): 401, and the creds no longer log in', async () => {
    const { msisdn, client, deviceId } = await linked();
    sim.kick(msisdn, deviceId, 'device_removed');
    expect(await client.waitForClose()).toBe(401);
    expect(sim.devices(msisdn)).toEqual([]);
    expect(await loginAgain(client)).toBe(401);
  });

  it('account logged out (failure 401): 401', async () => {
    const { msisdn, client, deviceId } = await linked();
    sim.kick(msisdn, deviceId, 'logged_out');
    expect(await client.waitForClose()).toBe(401);
    expect(await loginAgain(client)).toBe(401);
  });

  it('abrupt socket drop: 428, and the device can log in again', async () => {
    const { msisdn, client, deviceId } = await linked();
    sim.kick(msisdn, deviceId, 'drop');
    expect(await client.waitForClose()).toBe(428);
    expect(await loginAgain(client)).toBe(0);
  });

  it("Baileys' own logout() removes the companion device, so the creds stop working", async () => {
    const { msisdn, client, deviceId } = await linked();
    await client.sock.logout();
    expect(await client.waitForClose()).toBe(401);
    const removed = await sim.events.waitFor('device.removed', (e) => e.msisdn === msisdn);
    expect(removed).toMatchObject({ deviceId, reason: 'remove-companion-device' });
    expect(await loginAgain(client)).toBe(401);
  });
});

describe('server-side faults', () => {
  it('refuses logins for a while (close 503), then accepts them again', async () => {
    const { client } = await linked();
    client.end();
    sim.refuseLogins(60_000);
    expect(await loginAgain(client)).toBe(503);
    sim.refuseLogins(0);
    expect(await loginAgain(client)).toBe(0);
  });

  it('drops every socket at once: each client closes with 428', async () => {
    const a = await linked();
    const b = await linked();
    expect(sim.dropAll()).toBeGreaterThanOrEqual(2);
    expect(await a.client.waitForClose()).toBe(428);
    expect(await b.client.waitForClose()).toBe(428);
  });
});

describe('WhatsApp-side refusal switch', () => {
  it('makes sends fail with an error ack (429) that Baileys reports as status ERROR', async () => {
    const { msisdn, client } = await linked();
    const contact = String(nextNumber++);
    sim.createAccount(contact);
    // Baileys' event buffer can get stuck (a stale flush timer) until the next inbound stanza, which would hold back
    // the error update for up to 30 s; an inbound message first puts it in a known state (see README)
    const hello = await sim.sendText(contact, msisdn, 'hello');
    await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === hello.id));
    sim.setRateLimited(msisdn, true);
    const sent = await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'too many' });
    const failed = await client.waitForStatus(sent!.key.id!, 0);
    expect(failed.messageStubParameters).toEqual(['429']);
    expect(sim.inbox(contact)).toEqual([]);

    sim.setRateLimited(msisdn, false);
    const ok = await client.sock.sendMessage(`${contact}@s.whatsapp.net`, { text: 'fine now' });
    await sim.events.waitFor('phone.received', (e) => e.msisdn === contact && e.id === ok!.key.id);
    client.end();
  });
});
