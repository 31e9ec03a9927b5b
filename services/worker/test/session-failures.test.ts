import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerHandle } from '../src/worker.ts';
import { linkInstance, newCustomerId, newInstanceId, startWorld, type WorkerWorld } from './harness.ts';

let world: WorkerWorld;
let worker: WorkerHandle;
beforeAll(async () => {
  world = await startWorld({ qrRefs: 2 });
  worker = await world.startWorker({ MAX_SESSIONS_PER_WORKER: '8', QR_TIMEOUT_MS: '400' });
});
afterAll(() => world.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function send(instanceId: string, customerId: string, to: string, text: string) {
  const messageId = newId('message');
  return world
    .command(world.bus.subjects.command(instanceId, 'send'), {
      message_id: messageId,
      customer_id: customerId,
      to,
      content: { type: 'text', text },
      reply_to: null,
    })
    .then((reply) => ({ reply, messageId }));
}

describe('session invalidation', () => {
  it.each([
    ['device_removed', 'device_removed'],
    ['replaced', 'connection_replaced'],
    ['logged_out', 'logged_out'],
  ] as const)(
    'kick %s → session.invalidated (%s), auth-state wiped, disconnected, no reconnect loop',
    async (kind, reason) => {
      const msisdn = `49153${Math.floor(Math.random() * 1e7)
        .toString()
        .padStart(7, '0')}`;
      world.sim.createAccount(msisdn);
      const { instanceId } = await linkInstance(world, worker.workerId, msisdn);
      const authDir = join(world.dataDir, worker.workerId, 'sessions', instanceId);
      expect(await exists(join(authDir, 'creds.json'))).toBe(true);
      const device = world.sim.devices(msisdn)[0]!;
      world.sim.kick(msisdn, device.deviceId, kind);

      const invalidated = await world.waitForEvent(
        (e) => e.type === 'session.invalidated' && e.instance_id === instanceId,
      );
      expect(invalidated.data).toMatchObject({ status: 'disconnected', reason });
      const disconnected = await world.waitForEvent(
        (e) =>
          e.type === 'instance.disconnected' &&
          e.instance_id === instanceId &&
          e.data.reason === 'session_invalidated',
      );
      expect(disconnected.data.will_reconnect).toBe(false);
      expect(await exists(authDir)).toBe(false);
      const status = await world.command<{ status: string; last_error: { code: string } }>(
        world.bus.subjects.command(instanceId, 'status'),
      );
      expect(status).toMatchObject({
        ok: true,
        data: { status: 'disconnected', last_error: { code: 'session_invalidated' } },
      });
      const metrics = await (await fetch(`${worker.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(
        new RegExp(`whatisup_worker_session_invalidations_total\\{reason="${reason}"\\} [1-9]`),
      );
      const count = world.events.filter((e) => e.instance_id === instanceId).length;
      await sleep(600);
      expect(world.events.filter((e) => e.instance_id === instanceId)).toHaveLength(count);
    },
  );

  it('an abrupt drop is transient: disconnected, then connected again by itself without a QR', async () => {
    world.sim.createAccount('4915400000001');
    const { instanceId } = await linkInstance(world, worker.workerId, '4915400000001');
    const device = world.sim.devices('4915400000001')[0]!;
    const before = world.events.length;
    world.sim.kick('4915400000001', device.deviceId, 'drop');
    const dropped = await world.waitForEvent(
      (e) => e.type === 'instance.disconnected' && e.instance_id === instanceId,
    );
    expect(dropped.data).toMatchObject({ reason: 'connection_lost', will_reconnect: true });
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' && e.instance_id === instanceId && world.events.indexOf(e) > before,
    );
    expect(
      world.events.slice(before).some((e) => e.type === 'qr.updated' && e.instance_id === instanceId),
    ).toBe(false);
  });
});

describe('QR expiry', () => {
  it('qr_timeout after the refs run out, no endless spinning; a QR fetch starts a new pairing', async () => {
    const instanceId = newInstanceId();
    await world.command(world.bus.subjects.worker(worker.workerId, 'assign'), {
      instance_id: instanceId,
      customer_id: newCustomerId(),
    });
    const timeout = await world.waitForEvent(
      (e) =>
        e.type === 'instance.disconnected' && e.instance_id === instanceId && e.data.reason === 'qr_timeout',
    );
    expect(timeout.data).toMatchObject({ status: 'qr_timeout', will_reconnect: false });
    const qrCount = world.events.filter(
      (e) => e.type === 'qr.updated' && e.instance_id === instanceId,
    ).length;
    expect(qrCount).toBe(2);
    await sleep(500);
    expect(world.events.filter((e) => e.type === 'qr.updated' && e.instance_id === instanceId)).toHaveLength(
      qrCount,
    );

    const again = await world.command(world.bus.subjects.command(instanceId, 'qr'));
    expect(again).toMatchObject({ ok: false, error: { code: 'qr_unavailable' } });
    await world.waitForEvent(
      (e) =>
        e.type === 'qr.updated' &&
        e.instance_id === instanceId &&
        world.events.filter((x) => x.type === 'qr.updated' && x.instance_id === instanceId).length > qrCount,
    );
    const fresh = await world.command<{ qr: string }>(world.bus.subjects.command(instanceId, 'qr'));
    expect(fresh.ok).toBe(true);
  });
});

describe('WhatsApp unreachable', () => {
  it('is reported as whatsapp_unreachable and retried with backoff, not mistaken for an expired QR', async () => {
    const offline = await world.startWorker({
      WA_WEBSOCKET_URL: 'ws://127.0.0.1:9/ws',
      RECONNECT_BASE_MS: '100',
    });
    const instanceId = newInstanceId();
    await world.command(world.bus.subjects.worker(offline.workerId, 'assign'), {
      instance_id: instanceId,
      customer_id: newCustomerId(),
    });
    const first = await world.waitForEvent(
      (e) => e.type === 'instance.disconnected' && e.instance_id === instanceId,
    );
    expect(first.data).toMatchObject({
      status: 'disconnected',
      reason: 'whatsapp_unreachable',
      will_reconnect: true,
    });
    await expect
      .poll(
        () =>
          world.events.filter((e) => e.type === 'instance.connecting' && e.instance_id === instanceId).length,
      )
      .toBeGreaterThanOrEqual(2);
    expect(world.events.some((e) => e.instance_id === instanceId && e.data.reason === 'qr_timeout')).toBe(
      false,
    );
    await offline.stop();
  });
});

describe('send failures map to error codes', () => {
  it('WhatsApp-side rate limit → message.failed rate_limited; unknown recipient → recipient_not_on_whatsapp', async () => {
    world.sim.createAccount('4915500000001');
    world.sim.createAccount('4915500000002');
    const { instanceId, customerId } = await linkInstance(world, worker.workerId, '4915500000001');

    world.sim.setRateLimited('4915500000001', true);
    const limited = await send(instanceId, customerId, '4915500000002', 'too fast');
    expect(limited.reply.ok).toBe(true);
    const failed = await world.waitForEvent(
      (e) => e.type === 'message.failed' && e.data.message_id === limited.messageId,
    );
    expect(failed.data).toMatchObject({ error: { code: 'rate_limited' } });
    world.sim.setRateLimited('4915500000001', false);

    const unknown = await send(instanceId, customerId, '4915599999999', 'anyone there?');
    const notOnWa = await world.waitForEvent(
      (e) => e.type === 'message.failed' && e.data.message_id === unknown.messageId,
    );
    expect(notOnWa.data).toMatchObject({ error: { code: 'recipient_not_on_whatsapp' } });

    const ok = await send(instanceId, customerId, '4915500000002', 'now it works');
    await world.waitForEvent((e) => e.type === 'message.sent' && e.data.message_id === ok.messageId);
  });

  it('refuses sends for an instance that is not linked, and sends of another customer', async () => {
    const instanceId = newInstanceId();
    const customerId = newCustomerId();
    await world.command(world.bus.subjects.worker(worker.workerId, 'assign'), {
      instance_id: instanceId,
      customer_id: customerId,
    });
    const refused = await send(instanceId, customerId, '4915500000002', 'x');
    expect(refused.reply).toMatchObject({ ok: false, error: { code: 'instance_not_connected' } });
    const foreign = await send(instanceId, newCustomerId(), '4915500000002', 'x');
    expect(foreign.reply).toMatchObject({ ok: false, error: { code: 'invalid_command' } });
    const malformed = await world.command(world.bus.subjects.command(instanceId, 'send'), { to: 42 });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'invalid_command' } });
  });
});

describe('capacity', () => {
  it('never holds more than MAX_SESSIONS_PER_WORKER, even when many assigns arrive at once', async () => {
    const small = await world.startWorker({ MAX_SESSIONS_PER_WORKER: '3' });
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        world.command<{ worker_id: string }>(world.bus.subjects.worker(small.workerId, 'assign'), {
          instance_id: newInstanceId(),
          customer_id: newCustomerId(),
        }),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(3);
    expect(replies.filter((r) => !r.ok && r.error.code === 'worker_full')).toHaveLength(7);
    expect(small.manager.count).toBe(3);
    const registry = await world.bus.workerRegistry();
    await expect
      .poll(async () => JSON.parse((await registry.get(small.workerId))?.string() ?? '{}').sessions)
      .toBe(3);
  });
});
