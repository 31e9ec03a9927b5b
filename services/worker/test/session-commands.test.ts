import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerHandle } from '../src/worker.ts';
import { linkInstance, newCustomerId, newInstanceId, startWorld, type WorkerWorld } from './harness.ts';

let world: WorkerWorld;
let worker: WorkerHandle;
let files: Server;
let filesUrl: string;
// A 1x1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

beforeAll(async () => {
  world = await startWorld();
  worker = await world.startWorker();
  files = createServer((req, res) => {
    if (req.url === '/pic.png') {
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(PNG);
    } else if (req.url === '/doc.pdf') {
      res.writeHead(200, { 'Content-Type': 'application/pdf' });
      res.end(Buffer.from('%PDF-1.4 tiny'));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});
afterAll(async () => {
  files.close();
  await world.close();
});

function send(
  instanceId: string,
  customerId: string,
  content: Record<string, unknown>,
  replyTo: unknown = null,
) {
  const messageId = newId('message');
  return world
    .command(world.bus.subjects.command(instanceId, 'send'), {
      message_id: messageId,
      customer_id: customerId,
      to: '4915700000002',
      content,
      reply_to: replyTo,
    })
    .then((reply) => ({ reply, messageId }));
}

describe('instance commands', () => {
  it('links by pairing code instead of a QR', async () => {
    world.sim.createAccount('4915700000009');
    const instanceId = newInstanceId();
    await world.command(world.bus.subjects.worker(worker.workerId, 'assign'), {
      instance_id: instanceId,
      customer_id: newCustomerId(),
    });
    const reply = await world.command<{ code: string }>(
      world.bus.subjects.command(instanceId, 'pairing-code'),
      {
        phone: '4915700000009',
      },
    );
    if (!reply.ok) throw new Error(reply.error.message);
    expect(reply.data.code).toMatch(/^[A-Z0-9]{8}$/);
    await world.sim.enterPairingCode('4915700000009', reply.data.code);
    const connected = await world.waitForEvent(
      (e) => e.type === 'instance.connected' && e.instance_id === instanceId,
    );
    expect(connected.data.phone).toBe('4915700000009');
  });

  it('sends images and documents fetched from a URL, locations, replies and reactions', async () => {
    world.sim.createAccount('4915700000001');
    world.sim.createAccount('4915700000002');
    const { instanceId, customerId } = await linkInstance(world, worker.workerId, '4915700000001');
    const first = await send(instanceId, customerId, { type: 'text', text: 'first' });
    const firstSent = await world.waitForEvent(
      (e) => e.type === 'message.sent' && e.data.message_id === first.messageId,
    );
    const image = await send(instanceId, customerId, {
      type: 'image',
      url: `${filesUrl}/pic.png`,
      caption: 'a pixel',
    });
    const doc = await send(instanceId, customerId, {
      type: 'document',
      url: `${filesUrl}/doc.pdf`,
      filename: 'tiny.pdf',
    });
    const location = await send(instanceId, customerId, {
      type: 'location',
      latitude: 52.52,
      longitude: 13.405,
      name: 'Berlin',
    });
    const reply = await send(
      instanceId,
      customerId,
      { type: 'text', text: 'replying' },
      {
        wa_message_id: firstSent.data.wa_message_id,
        from_me: true,
        chat: '4915700000002',
        text: 'first',
      },
    );
    const reaction = await send(instanceId, customerId, {
      type: 'reaction',
      emoji: '👍',
      target: {
        wa_message_id: firstSent.data.wa_message_id,
        from_me: true,
        chat: '4915700000002',
        text: null,
      },
    });
    const missing = await send(instanceId, customerId, { type: 'image', url: `${filesUrl}/nope.png` });
    for (const { messageId } of [image, doc, location, reply, reaction]) {
      await world.waitForEvent((e) => e.type === 'message.sent' && e.data.message_id === messageId);
    }
    const failed = await world.waitForEvent(
      (e) => e.type === 'message.failed' && e.data.message_id === missing.messageId,
    );
    expect(failed.data).toMatchObject({ error: { code: 'media_fetch_failed' } });

    const inbox = world.sim.inbox('4915700000002').filter((m) => !m.ownDeviceCopy);
    const byId = (messageId: string) =>
      inbox.find(
        (m) =>
          m.id ===
          world.events.find((e) => e.type === 'message.sent' && e.data.message_id === messageId)!.data
            .wa_message_id,
      );
    expect(byId(image.messageId)?.media?.data.equals(PNG)).toBe(true);
    expect(byId(image.messageId)?.media?.caption).toBe('a pixel');
    expect(byId(doc.messageId)?.media?.fileName).toBe('tiny.pdf');
    expect(byId(location.messageId)?.message).toMatchObject({
      locationMessage: { degreesLatitude: 52.52, name: 'Berlin' },
    });
    expect(byId(reply.messageId)?.message).toMatchObject({
      extendedTextMessage: { text: 'replying', contextInfo: { stanzaId: firstSent.data.wa_message_id } },
    });
    expect(byId(reaction.messageId)?.message).toMatchObject({ reactionMessage: { text: '👍' } });
  });

  it('restart reconnects without a QR; logout unlinks on WhatsApp and wipes the auth-state', async () => {
    world.sim.createAccount('4915700000003');
    const { instanceId } = await linkInstance(world, worker.workerId, '4915700000003');
    const before = world.events.length;
    const restarted = await world.command<{ status: string }>(
      world.bus.subjects.command(instanceId, 'restart'),
    );
    expect(restarted.ok).toBe(true);
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' && e.instance_id === instanceId && world.events.indexOf(e) >= before,
    );
    expect(
      world.events.slice(before).some((e) => e.type === 'qr.updated' && e.instance_id === instanceId),
    ).toBe(false);

    const loggedOut = await world.command<{ status: string; last_error: { code: string } }>(
      world.bus.subjects.command(instanceId, 'logout'),
    );
    expect(loggedOut).toMatchObject({
      ok: true,
      data: { status: 'disconnected', last_error: { code: 'logged_out' } },
    });
    await expect.poll(() => world.sim.devices('4915700000003').length).toBe(0);
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.disconnected' && e.instance_id === instanceId && e.data.reason === 'logged_out',
    );
  });

  it('release with logout forgets the instance; its commands get no responder', async () => {
    world.sim.createAccount('4915700000004');
    const { instanceId } = await linkInstance(world, worker.workerId, '4915700000004');
    const released = await world.command(world.bus.subjects.worker(worker.workerId, 'release'), {
      instance_id: instanceId,
      logout: true,
    });
    expect(released).toEqual({ ok: true, data: { instance_id: instanceId, released: true } });
    await expect.poll(() => world.sim.devices('4915700000004').length).toBe(0);
    await expect(world.command(world.bus.subjects.command(instanceId, 'status'), {}, 500)).rejects.toThrow(
      /503|no responders/i,
    );
  });

  it('exposes sessions and sends on /metrics and a healthy /readyz', async () => {
    const metrics = await (await fetch(`${worker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/whatisup_worker_sessions\{state="connected"\} \d+/);
    expect(metrics).toMatch(/whatisup_worker_sends_total \d+/);
    const ready = await fetch(`${worker.httpUrl}/readyz`);
    const body = (await ready.json()) as Record<string, unknown>;
    expect(ready.status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', capacity: 50, worker_id: worker.workerId });
  });
});
