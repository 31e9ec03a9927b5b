// The control endpoints behind the phone page: QR codes on offer (shown by a companion's screen, listed, rotated,
// expired, scanned), the phone's sent messages, account creation limits, and the page itself — with real Baileys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.ts';
import { trustSimulator } from '../src/trust.ts';
import { BaileysClient, memoryAuthState } from './baileys-client.ts';
import { controlCall } from './control-call.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ deliveredReceiptDelayMs: 20, readReceiptDelayMs: 20 });
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
});
afterAll(() => sim.close());

const call = (method: string, path: string, body?: unknown) => controlCall(sim, method, path, body);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replaces one comma-separated part of a Baileys QR string (ref, noise key, identity key, adv secret, …). */
function withPart(qr: string, index: number, value: string): string {
  const parts = qr.split(',');
  parts[index] = value;
  return parts.join(',');
}

describe('QR codes on offer', () => {
  it('lists what a screen shows, keeps the newest QR of each companion, and a scan links it', async () => {
    sim.createAccount('15557001');
    const auth = memoryAuthState();
    // a short qrTimeout: Baileys rotates to its next ref within a second
    const registering = new BaileysClient(sim.url, auth, { qrTimeout: 800 });
    const first = await registering.waitForQr();
    expect((await call('GET', '/qr-codes')).json).toEqual([]);

    const shown = await call('POST', '/qr-codes', { qr: first });
    expect(shown.status).toBe(200);
    const ref = first.slice(first.indexOf('#') + 1).split(',')[0]!;
    expect(shown.json).toMatchObject({ ref, qr: first, connectionId: expect.any(Number) });
    // no expiry given: the first QR's 60 s
    expect(shown.json.expiresAt - shown.json.shownAt).toBe(60_000);
    expect((await call('GET', '/qr-codes')).json).toEqual([shown.json]);

    // rotation: the companion's next QR replaces its previous one
    const second = (
      await registering.waitFor('connection.update', (u) => typeof u.qr === 'string' && u.qr !== first)
    ).qr!;
    const expiresAt = Date.now() + 20_000;
    const rotated = await call('POST', '/qr-codes', { qr: second, expiresAt });
    expect(rotated.json).toMatchObject({ connectionId: shown.json.connectionId, expiresAt, qr: second });
    const listed = (await call('GET', '/qr-codes')).json;
    expect(listed).toHaveLength(1);
    expect(listed[0].qr).toBe(second);

    // the phone scans the listed QR: the offer is gone, Baileys restarts (515) and logs in
    const scan = await call('POST', '/accounts/15557001/scan-qr', { qr: listed[0].qr });
    expect(scan.json.deviceId).toBe(1);
    expect((await call('GET', '/qr-codes')).json).toEqual([]);
    expect(await registering.waitForClose()).toBe(515);
    const client = new BaileysClient(sim.url, auth);
    await client.waitForOpen();
    // a QR of a companion that is already linked cannot be shown again
    const again = await call('POST', '/qr-codes', { qr: second });
    expect(again).toEqual({ status: 400, json: { error: 'QR ref unknown or expired' } });
    client.sock.end(undefined);
  });

  it('drops a QR when it expires or when its companion goes away', async () => {
    const registering = new BaileysClient(sim.url, memoryAuthState(), { qrTimeout: 60_000 });
    const qr = await registering.waitForQr();
    await call('POST', '/qr-codes', { qr, expiresAt: Date.now() + 300 });
    await sleep(600);
    expect((await call('GET', '/qr-codes')).json).toEqual([]);

    expect((await call('POST', '/qr-codes', { qr })).status).toBe(200);
    expect((await call('GET', '/qr-codes')).json).toHaveLength(1);
    registering.sock.end(undefined);
    await registering.waitForClose();
    for (let i = 0; i < 50 && (await call('GET', '/qr-codes')).json.length > 0; i++) await sleep(100);
    expect((await call('GET', '/qr-codes')).json).toEqual([]);
    expect((await call('POST', '/qr-codes', { qr })).json).toEqual({ error: 'QR ref unknown or expired' });
  });

  it('refuses malformed, missing, oversized and hostile input with 400 and a reason', async () => {
    const registering = new BaileysClient(sim.url, memoryAuthState(), { qrTimeout: 60_000 });
    const qr = await registering.waitForQr();
    const now = Date.now();
    const cases: Array<[unknown, string | RegExp]> = [
      [{}, 'qr: expected a non-empty string'],
      [{ qr: '' }, 'qr: expected a non-empty string'],
      [{ qr: 42 }, 'qr: expected a non-empty string'],
      [{ qr: ['a'] }, 'qr: expected a non-empty string'],
      [{ qr: 'x'.repeat(1025) }, 'qr: longer than 1024 characters'],
      [{ qr: `${qr},${'A'.repeat(1024)}` }, 'qr: longer than 1024 characters'],
      [{ qr: 'hello' }, 'not a WhatsApp pairing QR'],
      [{ qr: '<script>alert(1)</script>,a,b,c' }, 'QR ref unknown or expired'],
      [{ qr: withPart(qr, 0, '2@unknownref') }, 'QR ref unknown or expired'],
      [
        { qr: withPart(qr, 2, Buffer.alloc(32, 7).toString('base64')) },
        'QR keys do not match the registering companion',
      ],
      [{ qr, expiresAt: 'tomorrow' }, 'expiresAt: expected epoch milliseconds (an integer)'],
      [{ qr, expiresAt: now + 0.5 }, 'expiresAt: expected epoch milliseconds (an integer)'],
      [{ qr, expiresAt: now - 1_000 }, /^expiresAt: expected a time within the next 10 minutes$/],
      [{ qr, expiresAt: now + 11 * 60_000 }, /^expiresAt: expected a time within the next 10 minutes$/],
      ['not json', 'body is not JSON'],
      ['null', 'body: expected a JSON object'],
      ['[1,2]', 'body: expected a JSON object'],
    ];
    for (const [body, error] of cases) {
      const res = await call('POST', '/qr-codes', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      if (typeof error === 'string') expect(res.json).toEqual({ error });
      else expect(res.json.error).toMatch(error);
    }
    expect((await call('DELETE', '/qr-codes')).status).toBe(405);
    // nothing of the above was put on offer, and the real QR still can be
    expect((await call('GET', '/qr-codes')).json).toEqual([]);
    expect((await call('POST', '/qr-codes', { qr })).status).toBe(200);
    registering.sock.end(undefined);
  });
});

describe('phone page support', () => {
  it("lists the phone's sent messages with their time and receipts", async () => {
    sim.createAccount('15557101');
    sim.createAccount('15557102');
    const auth = memoryAuthState();
    const registering = new BaileysClient(sim.url, auth);
    sim.scanQr('15557101', await registering.waitForQr());
    await registering.waitForClose();
    const client = new BaileysClient(sim.url, auth);
    await client.waitForOpen();

    const before = Date.now();
    const sent = await call('POST', '/accounts/15557102/messages', { to: '15557101', text: 'hi there' });
    await client.waitFor('messages.upsert', (u) => u.messages.some((m) => m.key.id === sent.json.id));
    // Baileys acknowledges delivery by itself; not marked online, it says `inactive`, shown as delivered
    await sim.events.waitFor('receipt.received', (e) => e.id === sent.json.id && e.receipt === 'inactive');
    const list = await call('GET', '/accounts/15557102/sent');
    expect(list.json).toEqual([
      { id: sent.json.id, to: '15557101', text: 'hi there', status: 'delivered', sentAt: expect.any(Number) },
    ]);
    expect(list.json[0].sentAt).toBeGreaterThanOrEqual(before);
    expect((await call('GET', '/accounts/15557101/sent')).json).toEqual([]);
    expect((await call('GET', '/accounts/15559999/sent')).json).toEqual({
      error: 'unknown account 15559999',
    });
    expect((await call('GET', '/accounts/abc/sent')).status).toBe(404);
    client.sock.end(undefined);
  });

  it('bounds the name of a new phone', async () => {
    expect(await call('POST', '/accounts', { msisdn: '15557201', pushName: 'x'.repeat(101) })).toEqual({
      status: 400,
      json: { error: 'pushName: at most 100 characters' },
    });
    expect(await call('POST', '/accounts', { msisdn: '15557201', pushName: 7 })).toEqual({
      status: 400,
      json: { error: 'pushName: expected a string' },
    });
    expect((await call('POST', '/accounts', { msisdn: '1555' })).json).toEqual({
      error: 'invalid msisdn 1555: expected 6 to 15 digits',
    });
    expect((await call('POST', '/accounts', { msisdn: '15557201', pushName: 'Carol' })).json).toMatchObject({
      msisdn: '15557201',
      pushName: 'Carol',
    });
  });

  it('serves the self-contained phone page at /phone', async () => {
    expect(sim.phoneUrl).toBe(sim.controlUrl.replace(/\/control$/, '/phone'));
    const res = await fetch(sim.phoneUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('<title>wa-sim · simulated phone</title>');
    // no CDN, no external asset of any kind
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect((await fetch(sim.phoneUrl, { method: 'POST' })).status).toBe(405);
  });
});
