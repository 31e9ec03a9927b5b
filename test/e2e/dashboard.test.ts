// The dashboard in headless Chromium against the real product (gateway, worker, delivery as processes,
// WhatsApp played by wa-sim): sign in → create an instance → its QR appears → the phone scans → the badge
// turns connected without a reload → send → delivered → Activity lists both → a failing webhook endpoint's
// delivery shows its last error and Retry delivers it. Saves a screenshot of each main page in docs/screenshots.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, launchBrowser, SHOTS } from './browser.ts';
import { type System, startSystem } from './system.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OWN = '4917000000101';
const CONTACT = '4917000000102';

let system: System;
let browser: Browser;
let page: Page;
let failing: Server;
let failingStatus = 500;

async function shot(name: string, target: Page = page): Promise<void> {
  await target.evaluate('window.scrollTo(0, 0)');
  await target.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  // The gateway serves packages/dashboard/dist: build it from the current sources.
  await promisify(execFile)(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'],
    {
      cwd: join(ROOT, 'packages/dashboard'),
    },
  );
  failing = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(failingStatus, { 'Content-Type': 'text/plain' });
      res.end(failingStatus === 500 ? 'boom: database is down' : 'ok');
    });
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  system = await startSystem();
  browser = await launchBrowser({ width: 1280, height: 860 });
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await system?.close();
  failing?.close();
});

describe('dashboard in a browser', () => {
  it('serves the app with the right caching', async () => {
    const index = await fetch(`${system.gatewayUrl}/dashboard/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const js = await fetch(`${system.gatewayUrl}${asset}`);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    const deepLink = await fetch(`${system.gatewayUrl}/dashboard/instances/ins_x`);
    expect(deepLink.status).toBe(200);
    expect(await deepLink.text()).toBe(html);
    const bare = await fetch(`${system.gatewayUrl}/dashboard`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/dashboard/']);
    for (const missing of ['/dashboard/assets/nope.js', '/dashboard/assets/..%2F..%2Fpackage.json']) {
      const res = await fetch(`${system.gatewayUrl}${missing}`);
      expect(res.status).toBe(404);
    }
    // No CDN: every script, style and icon comes from this origin.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('sign in → instance → QR → scan → connected live → send → delivered → Activity → failed delivery → retry', async () => {
    const { sim, api } = system;
    sim.createAccount(OWN, { pushName: 'Corner Shop' });
    sim.createAccount(CONTACT, { pushName: 'Dana' });

    // Sign in (a wrong key first: the message says what to do).
    await page.goto(`${system.gatewayUrl}/dashboard/`);
    await page.getByLabel('API key').fill('wiu_not-a-real-key-0000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /invalid API key/i })
      .waitFor();
    await shot('sign-in');
    await page.getByLabel('API key').fill(system.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    await page.getByText('No instances yet').waitFor();
    expect(page.url()).not.toContain(system.apiKey);
    await page.locator('.live[data-live="live"]').waitFor();

    // Create an instance: the detail page opens and the QR image appears.
    await page.getByLabel('New instance').fill('shop');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('heading', { name: /shop/ }).waitFor();
    const qrImage = page.getByTestId('qr-image');
    await qrImage.waitFor();
    // (Page functions are strings: this file is type-checked without the DOM library.)
    await page.waitForFunction(
      `(() => { const image = document.querySelector('[data-testid="qr-image"]'); return image?.complete && image.naturalWidth > 100; })()`,
    );
    await page
      .getByTestId('qr-countdown')
      .filter({ hasText: /Valid for \d+ s/ })
      .waitFor();
    await shot('instance-qr');
    const instanceId = (await page.locator('h1 + p code').first().textContent())!;
    expect(instanceId).toMatch(/^ins_/);

    // The simulated phone scans the current QR (taken from the API); the badge turns connected, no reload.
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    const qr = await system.waitFor(async () => {
      const res = await api(`/v1/instances/${instanceId}/qr`);
      return res.status === 200 ? ((await res.json()) as { qr: string }).qr : undefined;
    }, 'a QR code from the API');
    sim.scanQr(OWN, qr);
    await page.locator('h1 [data-status="connected"]').waitFor();
    await page
      .getByTestId('phone')
      .filter({ hasText: `+${OWN}` })
      .waitFor();
    expect(navigations).toBe(0);

    // Send a test message: the MSISDN is checked like the API does, with the same words.
    await page.getByLabel('To', { exact: true }).fill('+49 170 0000102');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.getByText('to must be the number with its country code, digits only').waitFor();
    await page.getByLabel('To', { exact: true }).fill(CONTACT);
    await page.getByRole('textbox', { name: 'Message' }).fill('Your order is ready 🛍️');
    await page.getByRole('button', { name: 'Send message' }).click();
    const row = page.locator('tr[data-message-id]').filter({ hasText: 'Your order is ready' });
    await row.waitFor();
    // The simulator sends the delivery and read receipts 50 ms apart; either is past "delivered".
    await row.locator('[data-status="delivered"], [data-status="read"]').waitFor();
    await system.waitFor(
      () => sim.inbox(CONTACT).find((m) => !m.ownDeviceCopy && m.text === 'Your order is ready 🛍️'),
      'the text on the contact phone',
    );
    await shot('instance-connected');

    // Instances list shows the live badge.
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await page.locator(`[data-instance-id="${instanceId}"] [data-status="connected"]`).waitFor();
    await shot('instances');

    // Activity lists the create and the send, newest first.
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.locator('.timeline-item[data-action="message.send"]').first().waitFor();
    await page.locator('.timeline-item[data-action="instance.create"]').first().waitFor();
    const actions = await page
      .locator('.timeline-item')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-action')));
    expect(actions.indexOf('message.send')).toBeLessThan(actions.indexOf('instance.create'));
    await page.getByLabel('Action').fill('instance.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('.timeline-item[data-action="message.send"]').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('.timeline-item[data-action="message.send"]').first().waitFor();
    await shot('activity');

    // A webhook endpoint that answers 500: the secret is shown once, the test event fails with its last error.
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook endpoints yet').waitFor();
    await page.getByText('Add an endpoint').click();
    const failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hooks`;
    await page.getByLabel('URL').fill(failingUrl);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page
      .getByTestId('secret-once')
      .filter({ hasText: /whsec_/ })
      .waitFor();
    await shot('webhook-secret');
    await page.getByRole('button', { name: "I've stored it" }).click();
    await page.getByRole('button', { name: 'Send test event' }).click();
    const delivery = page.locator('tr[data-delivery-id]').filter({ hasText: 'webhook.test' });
    await delivery.locator('[data-status="failed"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => delivery.getByTestId('last-response-status').textContent()).toBe('500');
    expect(await delivery.getByTestId('last-error').textContent()).toMatch(/500/);
    await page.getByRole('button', { name: 'Failed' }).click();
    await delivery.locator('[data-status="failed"]').waitFor();
    await delivery.getByRole('button', { name: 'Payload' }).click();
    await page.locator('.code-block').filter({ hasText: '"webhook.test"' }).waitFor();
    await shot('webhooks');

    // The endpoint is fixed; Retry delivers.
    failingStatus = 204;
    await delivery.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Retried: delivered.').waitFor({ timeout: 30_000 });
    await delivery.locator('[data-status="delivered"]').waitFor();

    // Phone-sized screen (in dark mode): the instance page stays readable, nothing scrolls sideways.
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.emulateMedia({ colorScheme: 'dark' });
    await phone.goto(`${system.gatewayUrl}/dashboard/`);
    await phone.getByLabel('API key').fill(system.apiKey);
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.goto(`${system.gatewayUrl}/dashboard/#/instances/${instanceId}`);
    await phone.locator('h1 [data-status="connected"]').waitFor();
    const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('phone-instance', phone);

    // Keyboard: the skip link comes first; a confirm dialog opens with Enter and closes with Escape.
    await page.getByRole('link', { name: 'Instances', exact: true }).click();
    await page.reload();
    await page.locator(`[data-instance-id="${instanceId}"]`).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to content');
    await page.locator(`[data-instance-id="${instanceId}"]`).getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete shop?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // Link by pairing code instead of a QR: a second instance shows the code to type on the phone.
    await page.getByLabel('New instance').fill('backup');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('heading', { name: /backup/ }).waitFor();
    await page.getByText("Can't scan? Link with a code instead").click();
    await page.getByLabel('Phone number of the WhatsApp account').fill('4917000000103');
    await page.getByRole('button', { name: 'Get code' }).click();
    await page.getByTestId('pairing-code').filter({ hasText: /\S{4}/ }).waitFor();
    await shot('pairing-code');

    // Sign out forgets the key.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  }, 150_000);
});
