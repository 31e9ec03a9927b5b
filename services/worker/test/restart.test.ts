import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '@whatisup/contracts';
import { describe, expect, it } from 'vitest';
import { childWorld, spawnChild, world } from './child-worker.ts';
import { newCustomerId, newInstanceId } from './harness.ts';

childWorld();

describe('worker crash and restart', () => {
  it('SIGKILL mid-session: the restarted worker reconnects without a QR and the accepted message arrives once', async () => {
    const { sim, bus } = world;
    sim.createAccount('4915200000001');
    sim.createAccount('4915200000002');
    const first = await spawnChild('worker-crash');
    const instanceId = newInstanceId();
    const customerId = newCustomerId();
    expect(
      (
        await world.command(bus.subjects.worker('worker-crash', 'assign'), {
          instance_id: instanceId,
          customer_id: customerId,
        })
      ).ok,
    ).toBe(true);
    await world.waitForEvent((e) => e.type === 'qr.updated' && e.instance_id === instanceId);
    const qr = await world.command<{ qr: string }>(bus.subjects.command(instanceId, 'qr'));
    if (!qr.ok) throw new Error(qr.error.message);
    sim.scanQr('4915200000001', qr.data.qr);
    await world.waitForEvent((e) => e.type === 'instance.connected' && e.instance_id === instanceId);

    const messageId = newId('message');
    const queued = await world.command(bus.subjects.command(instanceId, 'send'), {
      message_id: messageId,
      customer_id: customerId,
      to: '4915200000002',
      content: { type: 'text', text: 'sent just before the crash' },
      reply_to: null,
    });
    expect(queued.ok).toBe(true);
    await first.kill('SIGKILL');
    const killedAt = world.events.length;
    await access(join(world.dataDir, 'worker-crash', 'sessions', instanceId, 'creds.json'));

    await spawnChild('worker-crash');
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' &&
        e.instance_id === instanceId &&
        world.events.indexOf(e) >= killedAt,
    );
    await world.waitForEvent((e) => e.type === 'message.sent' && e.data.message_id === messageId);
    await expect
      .poll(
        () =>
          sim
            .inbox('4915200000002')
            .filter((m) => !m.ownDeviceCopy && m.text === 'sent just before the crash').length,
      )
      .toBe(1);
    const afterKill = world.events.slice(killedAt).filter((e) => e.instance_id === instanceId);
    expect(afterKill.map((e) => e.type)).not.toContain('qr.updated');
    // Still exactly one after the replay window has passed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      sim.inbox('4915200000002').filter((m) => !m.ownDeviceCopy && m.text === 'sent just before the crash'),
    ).toHaveLength(1);
  });

  it('SIGTERM: exits 0 within the grace period, leaves the device linked and the registry without its entry', async () => {
    const { sim, bus } = world;
    sim.createAccount('4915200000003');
    const worker = await spawnChild('worker-term');
    const registry = await bus.workerRegistry();
    await expect.poll(async () => (await registry.get('worker-term'))?.operation).toBe('PUT');
    const instanceId = newInstanceId();
    await world.command(bus.subjects.worker('worker-term', 'assign'), {
      instance_id: instanceId,
      customer_id: newCustomerId(),
    });
    await world.waitForEvent((e) => e.type === 'qr.updated' && e.instance_id === instanceId);
    const qr = await world.command<{ qr: string }>(bus.subjects.command(instanceId, 'qr'));
    if (!qr.ok) throw new Error(qr.error.message);
    sim.scanQr('4915200000003', qr.data.qr);
    await world.waitForEvent((e) => e.type === 'instance.connected' && e.instance_id === instanceId);

    const started = Date.now();
    expect(await worker.kill('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sim.devices('4915200000003')).toHaveLength(1);
    const entry = await registry.get('worker-term');
    expect(entry === null || entry.operation !== 'PUT').toBe(true);
  });
});
