// The simulated phone page (wa-sim's /phone) in headless Chromium against a running simulator and a real Baileys
// socket: the QR the socket shows is listed, one click links it, Baileys opens; a text from Baileys appears live
// on the contact's phone; the reply typed on the page reaches Baileys and its ticks turn delivered. Saves
// screenshots in docs/screenshots.
import { join } from 'node:path';
import { type Simulator, startSimulator, trustSimulator } from '@whatisup/wa-sim';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaileysClient, memoryAuthState } from '../../packages/wa-sim/test/baileys-client.ts';
import { type Browser, launchBrowser, SHOTS } from './browser.ts';

const OWN = '4917000000201';
const CONTACT = '4917000000202';

let sim: Simulator;
let browser: Browser;
let page: Page;
const clients: BaileysClient[] = [];
/** Retries a page probe with a generous bound (the machine is shared and slow at times). */
const poll = <T>(probe: () => Promise<T>) => expect.poll(probe, { timeout: 20_000, interval: 100 });

beforeAll(async () => {
  sim = await startSimulator();
  trustSimulator({ rootPublicKey: sim.rootPublicKey });
  sim.createAccount(OWN, { pushName: 'Acme Support' });
  sim.createAccount(CONTACT, { pushName: 'Maria' });
  browser = await launchBrowser({ width: 1000, height: 820 });
  page = browser.page;
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.sock.end(undefined);
  await browser?.close();
  await sim?.close();
});

describe('simulated phone page', () => {
  it('links a Baileys socket with one click, shows its text live, and sends the reply back', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${sim.phoneUrl}#${OWN}`);
    await poll(() => page.getByTestId('phone-select').inputValue()).toBe(OWN);

    // A companion waits for a scan; its screen shows each QR it gets (the dashboard does this for an instance).
    const auth = memoryAuthState();
    const registering = new BaileysClient(sim.url, auth, { qrTimeout: 60_000 });
    clients.push(registering);
    sim.showQr(await registering.waitForQr(), { expiresAt: Date.now() + 60_000 });

    await page.getByTestId('tab-devices').click();
    const offer = page.getByTestId('qr-offer');
    await offer.waitFor();
    await poll(() => offer.count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'wa-sim-phone-link.png') });
    await offer.getByTestId('scan-button').click();

    // Pairing done: Baileys restarts (515) and logs in with the same auth state.
    expect(await registering.waitForClose()).toBe(515);
    const client = new BaileysClient(sim.url, auth);
    clients.push(client);
    await client.waitForOpen();
    await poll(() => page.getByTestId('qr-offer').count()).toBe(0);
    await page.getByTestId('device-row').waitFor();
    expect(await page.getByTestId('device-row').textContent()).toContain('Device 1');

    // The customer's phone: a text from the linked device arrives live.
    await page.getByTestId('phone-select').selectOption(CONTACT);
    await page.getByTestId('tab-chats').click();
    const text = 'Hello Maria, your order #1042 has shipped.';
    await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text });
    const row = page.locator(`[data-testid="chat-row"][data-chat="${OWN}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(text);
    await row.click();
    await poll(() => page.getByTestId('message-in').last().textContent()).toContain(text);
    expect(await page.getByTestId('chat-title').textContent()).toBe('Acme Support');

    // The reply typed on the page reaches Baileys; its ticks follow the receipts.
    const reply = 'Thanks! When will it arrive?';
    await page.getByTestId('composer-input').fill(reply);
    await page.getByTestId('send-button').click();
    const upsert = await client.waitFor('messages.upsert', (u) =>
      u.messages.some((m) => m.message?.conversation === reply),
    );
    const received = upsert.messages.find((m) => m.message?.conversation === reply)!;
    expect(received.key).toMatchObject({ remoteJid: `${CONTACT}@s.whatsapp.net`, fromMe: false });
    const out = page.locator(`[data-testid="message-out"][data-id="${received.key.id}"]`);
    await poll(() => out.getAttribute('data-status')).toBe('delivered');
    await poll(() => page.locator('#toast.show').count()).toBe(0);
    await page.waitForTimeout(400); // the toast's fade-out, for a clean screenshot
    await page.screenshot({ path: join(SHOTS, 'wa-sim-phone-chat.png') });

    // The phone's own linked device sent the first text: the business phone shows it as its own message.
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByTestId('phone-select').selectOption(OWN);
    const ownRow = page.locator(`[data-testid="chat-row"][data-chat="${CONTACT}"]`);
    await ownRow.waitFor();
    await ownRow.click();
    await poll(() => page.getByTestId('message-out').first().textContent()).toContain(text);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('links a companion with the pairing code typed on the page, and says why a wrong one fails', async () => {
    const PAIRED = '4917000000204';
    sim.createAccount(PAIRED, { pushName: 'Code phone' });
    await page.goto(`${sim.phoneUrl}#${PAIRED}`);
    await poll(() => page.getByTestId('phone-select').inputValue()).toBe(PAIRED);
    await page.getByTestId('tab-devices').click();

    await page.getByTestId('pairing-code-input').fill('ABC');
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await poll(() => page.locator('#toast').textContent()).toContain('8 letters or digits');
    // well formed, but no companion asked for a code on this number: the simulator's reason is shown
    await page.getByTestId('pairing-code-input').fill('ABCD-EFGH');
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await poll(() => page.locator('#toast').textContent()).toMatch(/^Not linked: .+/);
    expect(sim.devices(PAIRED)).toEqual([]);

    const auth = memoryAuthState();
    const registering = new BaileysClient(sim.url, auth, { qrTimeout: 60_000 });
    clients.push(registering);
    await registering.waitForQr();
    const code = await registering.sock.requestPairingCode(PAIRED);
    await page.getByTestId('pairing-code-input').fill(`${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase());
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    expect(await registering.waitForClose()).toBe(515);
    const client = new BaileysClient(sim.url, auth);
    clients.push(client);
    await client.waitForOpen();
    await poll(() => page.getByTestId('device-row').count()).toBe(1);
  }, 60_000);

  it('adds a contact phone from the page and refuses a bad number with the reason', async () => {
    await page.goto(sim.phoneUrl);
    await page.getByRole('button', { name: 'Add a phone' }).click();
    await page.getByTestId('add-msisdn').fill('12');
    await page.getByTestId('add-submit').click();
    await poll(() => page.locator('#toast').textContent()).toContain('expected 6 to 15 digits');
    await page.getByTestId('add-msisdn').fill('+49 170 0000203');
    await page.getByTestId('add-name').fill('Jonas <b>bold</b>');
    await page.getByTestId('add-submit').click();
    await poll(() => page.getByTestId('phone-select').inputValue()).toBe('491700000203');
    expect(sim.account('491700000203').pushName).toBe('Jonas <b>bold</b>');
    // names are text, never markup
    expect(await page.locator('b').filter({ hasText: 'bold' }).count()).toBe(0);
  });
});
