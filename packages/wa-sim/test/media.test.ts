import { request } from 'node:https';
import { downloadMediaMessage, type WAMessage } from '@whiskeysockets/baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import type { BaileysClient } from './baileys-client.ts';
import { linkDevice } from './baileys-client.ts';
import { solidPng } from './png.ts';

const ME = '15554001';
const CONTACT = '15554002';

let sim: Simulator;
let client: BaileysClient;

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey, mediaCaPem: sim.mediaCaPem! });
  sim.createAccount(ME);
  sim.createAccount(CONTACT);
  ({ client } = await linkDevice(sim, ME));
});
afterAll(async () => {
  client?.end();
  await sim.close();
});

describe('media host trust', () => {
  it('is trusted by both https.request and fetch once the CA is configured', async () => {
    const url = sim.hostFile(Buffer.from('hello media'));
    expect(await (await fetch(url)).text()).toBe('hello media');
    const viaHttps = await new Promise<string>((resolve, reject) => {
      request(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      })
        .on('error', reject)
        .end();
    });
    expect(viaHttps).toBe('hello media');
  });
});

describe('inbound image', () => {
  it('arrives with its caption and downloads from the simulator media host', async () => {
    const png = solidPng(8, 8, [200, 30, 30]);
    const { id } = await sim.sendImage(CONTACT, ME, {
      data: png,
      mimetype: 'image/png',
      caption: 'a red square',
    });
    const upsert = await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === id));
    const message = upsert.messages.find((m) => m.key.id === id) as WAMessage;
    expect(message.message?.imageMessage?.caption).toBe('a red square');
    const bytes = await downloadMediaMessage(message, 'buffer', {});
    expect(Buffer.compare(bytes, png)).toBe(0);
  });
});

describe('outbound media', () => {
  it('uploads an image from a buffer; the recipient phone fetches and decrypts it', async () => {
    const png = solidPng(16, 16, [30, 200, 30]);
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { image: png, caption: 'green' });
    await sim.events.waitFor('phone.received', (e) => e.msisdn === CONTACT && e.id === sent!.key.id);
    const received = sim.inbox(CONTACT).find((m) => m.id === sent!.key.id);
    expect(received?.media).toMatchObject({ mimetype: 'image/jpeg', caption: 'green' });
    expect(Buffer.compare(received!.media!.data, png)).toBe(0);
  });

  it('sends a document by URL; the recipient phone gets the same bytes', async () => {
    const pdf = Buffer.from('%PDF-1.4\n% wa-sim test document\n');
    const url = sim.hostFile(pdf);
    const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, {
      document: { url },
      mimetype: 'application/pdf',
      fileName: 'test.pdf',
    });
    await sim.events.waitFor('phone.received', (e) => e.msisdn === CONTACT && e.id === sent!.key.id);
    const received = sim.inbox(CONTACT).find((m) => m.id === sent!.key.id);
    expect(received?.media).toMatchObject({ mimetype: 'application/pdf', fileName: 'test.pdf' });
    expect(received!.media!.data.toString()).toBe(pdf.toString());
  });
});
