import type { WAMessage } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { type BaileysClient, linkDevice } from './baileys-client.ts';

const ME = '15550100';
const CONTACT = '15550200';
const QUIET_CONTACT = '15550300';
const NEW_CONTACT = '15550400';

let sim: Simulator;
let client: BaileysClient;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
  sim.createAccount(ME);
  sim.createAccount(CONTACT, { pushName: 'Contact' });
  sim.createAccount(QUIET_CONTACT);
  sim.setAutoReceipts(QUIET_CONTACT, false);
  sim.createAccount(NEW_CONTACT, { pushName: 'New contact' });
  ({ client } = await linkDevice(sim, ME));
});
afterAll(async () => {
  client?.end();
  await sim.close();
});

function statusesOf(id: string): number[] {
  return client.log
    .filter((r) => r.event === 'messages.update')
    .flatMap((r) => r.data as Array<{ key: { id?: string }; update: { status?: number } }>)
    .filter((u) => u.key.id === id && u.update.status !== undefined)
    .map((u) => u.update.status!);
}

describe('outbound 1:1 text', () => {
  it('reaches the recipient phone decrypted, with a copy on the own phone, then delivered (3) and read (4)', async () => {
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: 'hello from baileys' });
    const id = sent!.key.id!;
    await sim.events.waitFor('phone.received', (e) => e.msisdn === CONTACT && e.id === id);
    expect(sim.inbox(CONTACT).find((m) => m.id === id)).toMatchObject({
      from: ME,
      text: 'hello from baileys',
      ownDeviceCopy: false,
    });
    await sim.events.waitFor('phone.received', (e) => e.msisdn === ME && e.id === id);
    expect(sim.inbox(ME).find((m) => m.id === id)).toMatchObject({
      chat: CONTACT,
      text: 'hello from baileys',
      ownDeviceCopy: true,
    });
    // automatic receipts: delivered, then read (the first may be folded into Baileys' own upsert under load)
    await client.waitForStatus(id, 3);
    await client.waitForStatus(id, 4);
  });

  it('sends receipts only when told to while automatic receipts are off', async () => {
    const sent = await client.sock.sendMessage(`${QUIET_CONTACT}@s.whatsapp.net`, { text: 'quiet' });
    const id = sent!.key.id!;
    await sim.events.waitFor('phone.received', (e) => e.msisdn === QUIET_CONTACT && e.id === id);
    // Baileys folds updates that arrive before its own upsert is flushed into that upsert; wait for it first
    await client.waitFor(
      'messages.upsert',
      (u) => u.type === 'append' && u.messages.some((m) => m.key.id === id),
    );
    expect(statusesOf(id)).toEqual([]);
    sim.sendReceipt(QUIET_CONTACT, id, 'delivered');
    await client.waitFor('messages.update', (updates) =>
      updates.some((u) => u.key.id === id && u.update.status === 3),
    );
    sim.sendReceipt(QUIET_CONTACT, id, 'read');
    await client.waitFor('messages.update', (updates) =>
      updates.some((u) => u.key.id === id && u.update.status === 4),
    );
    expect(statusesOf(id)).toEqual([3, 4]);
  });
});

describe('inbound 1:1 text', () => {
  it('from a contact without a session arrives as messages.upsert notify: pkmsg until Baileys answers, then msg', async () => {
    const contact = sim.account(NEW_CONTACT);
    const upserted = async (id: string) => {
      const upsert = await client.waitFor(
        'messages.upsert',
        (u) => u.type === 'notify' && u.messages.some((m) => m.key.id === id),
      );
      return upsert.messages.find((m) => m.key.id === id) as WAMessage;
    };
    const cipherOf = (id: string) =>
      sim.events.since().find((e) => e.type === 'phone.sent' && e.id === id && e.to === ME) as {
        cipher: string;
      };

    const first = await sim.sendText(NEW_CONTACT, ME, 'first inbound');
    const m1 = await upserted(first.id);
    expect(m1.message?.conversation).toBe('first inbound');
    expect(m1.key).toMatchObject({
      remoteJid: `${NEW_CONTACT}@s.whatsapp.net`,
      remoteJidAlt: contact.lid,
      fromMe: false,
    });
    expect(cipherOf(first.id).cipher).toBe('pkmsg');
    await sim.events.waitFor('receipt.received', (e) => e.msisdn === NEW_CONTACT && e.id === first.id);

    const reply = await client.sock.sendMessage(`${NEW_CONTACT}@s.whatsapp.net`, { text: 'reply' });
    await sim.events.waitFor('phone.received', (e) => e.msisdn === NEW_CONTACT && e.id === reply!.key.id);

    const second = await sim.sendText(NEW_CONTACT, ME, 'second inbound');
    expect((await upserted(second.id)).message?.conversation).toBe('second inbound');
    expect(cipherOf(second.id).cipher).toBe('msg');
  });
});

describe('between two linked devices', () => {
  it("reaches the other account's Baileys socket and its phone", async () => {
    const OTHER = '15550500';
    sim.createAccount(OTHER);
    const { client: other } = await linkDevice(sim, OTHER);
    try {
      const sent = await client.sock.sendMessage(`${OTHER}@s.whatsapp.net`, { text: 'device to device' });
      const upsert = await other.waitFor('messages.upsert', (u) =>
        u.messages.some((m) => m.key.id === sent!.key.id),
      );
      const got = upsert.messages.find((m) => m.key.id === sent!.key.id);
      // Baileys sends text as an extendedTextMessage
      expect(got?.message?.extendedTextMessage?.text).toBe('device to device');
      await sim.events.waitFor('phone.received', (e) => e.msisdn === OTHER && e.id === sent!.key.id);
      await client.waitForStatus(sent!.key.id!, 4);
    } finally {
      other.end();
    }
  });
});

describe('contact lookup', () => {
  it('reports known numbers as on WhatsApp and unknown ones as absent', async () => {
    const result = await client.sock.onWhatsApp(CONTACT, '19990000001');
    expect(result).toEqual([{ jid: `${CONTACT}@s.whatsapp.net`, exists: true }]);
  });

  it('lets a send to an unknown number "succeed" with only the own-phone copy and no receipt', async () => {
    const sent = await client.sock.sendMessage('19990000002@s.whatsapp.net', { text: 'anyone there?' });
    const id = sent!.key.id!;
    await sim.events.waitFor('message.relayed', (e) => e.id === id && !e.error);
    await sim.events.waitFor('phone.received', (e) => e.msisdn === ME && e.id === id);
    expect(sim.inbox(ME).find((m) => m.id === id)).toMatchObject({
      chat: '19990000002',
      ownDeviceCopy: true,
    });
    expect(sim.events.since().filter((e) => e.type === 'receipt.sent' && e.id === id)).toEqual([]);
  });
});
