import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, SlidingBudget } from '../src/session/throttle.ts';
import type { WorkerHandle } from '../src/worker.ts';
import { linkInstance, newCustomerId, newInstanceId, startWorld, type WorkerWorld } from './harness.ts';

describe('throttles', () => {
  it('backoff grows exponentially with jitter and stays under the cap', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 1)).toBe(8000);
    expect(backoffDelay(30, 1000, 60_000, () => 1)).toBe(60_000);
  });

  it('a sliding budget allows N uses per window', () => {
    const budget = new SlidingBudget(2, 1000);
    expect(budget.waitMs(0)).toBe(0);
    budget.use(0);
    budget.use(100);
    expect(budget.waitMs(200)).toBe(800);
    expect(budget.waitMs(999)).toBe(1);
    expect(budget.waitMs(1000)).toBe(0);
  });
});

describe('a client loop of restarts cannot hammer WhatsApp', () => {
  let world: WorkerWorld;
  let worker: WorkerHandle;
  beforeAll(async () => {
    world = await startWorld({ qrRefs: 1 });
    worker = await world.startWorker({ QR_SESSION_BUDGET: '2', QR_TIMEOUT_MS: '300' });
  });
  afterAll(() => world.close());

  it('new QR pairings beyond the budget are refused with qr_throttled and the wait', async () => {
    const instanceId = newInstanceId();
    await world.command(world.bus.subjects.worker(worker.workerId, 'assign'), {
      instance_id: instanceId,
      customer_id: newCustomerId(),
    });
    const timedOut = () =>
      world.events.filter((e) => e.instance_id === instanceId && e.data.reason === 'qr_timeout').length;
    await world.waitForEvent((e) => e.instance_id === instanceId && e.data.reason === 'qr_timeout');
    expect(await world.command(world.bus.subjects.command(instanceId, 'qr'))).toMatchObject({
      ok: false,
      error: { code: 'qr_unavailable' },
    });
    await expect.poll(timedOut, { timeout: 10_000 }).toBe(2);
    const third = await world.command(world.bus.subjects.command(instanceId, 'qr'));
    expect(third).toMatchObject({ ok: false, error: { code: 'qr_throttled' } });
    if (!third.ok) expect(third.error.message).toMatch(/allowed in \d+ s/);
  });

  it('restarts beyond the reconnect budget are refused with restart_throttled', async () => {
    const patient = await world.startWorker({ RECONNECT_BUDGET: '2', QR_TIMEOUT_MS: '5000' });
    world.sim.createAccount('4917100000001');
    const { instanceId } = await linkInstance(world, patient.workerId, '4917100000001');
    const restart = () => world.command(world.bus.subjects.command(instanceId, 'restart'));
    expect(await restart()).toMatchObject({ ok: true });
    expect(await restart()).toMatchObject({ ok: true });
    expect(await restart()).toMatchObject({ ok: false, error: { code: 'restart_throttled' } });
  });
});
