// Placement of new instances on session workers (design.md "Placement"), against stand-in workers that
// answer assign like the real one. Each test has its own NATS prefix, so its own registry.
import { findInstance, listAuditEvents } from '@whatisup/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let alice: { id: string; key: string };

beforeEach(async () => {
  gw = await startTestGateway({ standInWorker: false, commandTimeoutMs: 300 });
  alice = await gw.customer('Alice');
});
afterEach(() => gw.close());

const create = (name: string) =>
  gw.request('/v1/instances', { method: 'POST', key: alice.key, json: { name } });

async function workerOf(instanceId: string): Promise<string | null | undefined> {
  return (await findInstance(gw.db, alice.id, instanceId))?.workerId;
}

describe('placement: happy path', () => {
  it('places on the worker with the most free capacity and records it on the instance', async () => {
    const small = await gw.startWorker({ workerId: 'w-small', capacity: 5 });
    const big = await gw.startWorker({ workerId: 'w-big', capacity: 20 });
    const res = await create('first');
    expect(res.status).toBe(201);
    const instance = await res.json();
    expect(instance.status).toBe('created');
    expect(await workerOf(instance.id)).toBe('w-big');
    expect(big.held.has(instance.id)).toBe(true);
    expect(small.assigns).toEqual([]);
  });

  it('spreads concurrent creations without ever exceeding a cap; the one too many gets 503 no_capacity', async () => {
    const a = await gw.startWorker({ workerId: 'w-a', capacity: 3, assignDelayMs: 20 });
    const b = await gw.startWorker({ workerId: 'w-b', capacity: 3, assignDelayMs: 20 });
    const responses = await Promise.all(Array.from({ length: 7 }, (_, i) => create(`inst-${i}`)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 503]);
    expect(a.held.size).toBe(3);
    expect(b.held.size).toBe(3);

    const refused = responses.find((r) => r.status === 503)!;
    expect(refused.headers.get('Retry-After')).toMatch(/^\d+$/);
    expect((await refused.json()).error.code).toBe('no_capacity');

    const listed = await (await gw.request('/v1/instances?limit=100', { key: alice.key })).json();
    expect(listed.data).toHaveLength(6);
    for (const instance of listed.data) expect(['w-a', 'w-b']).toContain(await workerOf(instance.id));
  });
});

describe('placement: refusals and failures', () => {
  it('skips draining and stale registry entries', async () => {
    const draining = await gw.startWorker({ workerId: 'w-draining', capacity: 100, draining: true });
    const stale = await gw.startWorker({ workerId: 'w-stale', capacity: 100 });
    await gw.putRegistration({
      worker_id: 'w-stale',
      capacity: 100,
      sessions: 0,
      updated_at: new Date(Date.now() - 60_000).toISOString(),
    });
    const fresh = await gw.startWorker({ workerId: 'w-fresh', capacity: 2 });

    const res = await create('one');
    expect(res.status).toBe(201);
    expect(await workerOf((await res.json()).id)).toBe('w-fresh');
    expect(draining.assigns).toEqual([]);
    expect(stale.assigns).toEqual([]);
    expect(fresh.assigns).toHaveLength(1);
  });

  it('moves on from a worker that vanished (registered, nobody answers) to the next', async () => {
    await gw.putRegistration({ worker_id: 'w-ghost', capacity: 500, sessions: 0 });
    const alive = await gw.startWorker({ workerId: 'w-alive', capacity: 2 });
    const res = await create('survivor');
    expect(res.status).toBe(201);
    expect(await workerOf((await res.json()).id)).toBe('w-alive');
    expect(alive.held.size).toBe(1);
  });

  it('moves on from a worker that answers too late, and tells it to let go of the instance', async () => {
    const slow = await gw.startWorker({ workerId: 'w-slow', capacity: 50, assignDelayMs: 600 });
    const quick = await gw.startWorker({ workerId: 'w-quick', capacity: 5 });
    const res = await create('patient');
    expect(res.status).toBe(201);
    const { id } = await res.json();
    expect(await workerOf(id)).toBe('w-quick');
    expect(quick.held.has(id)).toBe(true);
    await expect
      .poll(() => slow.releases, { timeout: 3_000 })
      .toContainEqual({ instance_id: id, logout: false });
    await expect.poll(() => slow.held.has(id), { timeout: 3_000 }).toBe(false);
  });

  it('503 no_capacity with Retry-After when every worker refuses; the instance is not kept', async () => {
    await gw.startWorker({ workerId: 'w-full', capacity: 1 });
    expect((await create('fits')).status).toBe(201);
    await gw.putRegistration({ worker_id: 'w-full', capacity: 1, sessions: 0 }); // a registry that lags behind
    const res = await create('does-not-fit');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    const body = await res.json();
    expect(body.error.code).toBe('no_capacity');
    expect(body.error.message).toMatch(/full|unavailable/);
    expect(body.correlation_id).toBeTruthy();

    const listed = await (await gw.request('/v1/instances', { key: alice.key })).json();
    expect(listed.data.map((i: { name: string }) => i.name)).toEqual(['fits']);
    const audit = await listAuditEvents(gw.db, alice.id, { limit: 10 });
    const removal = audit.items.find((e) => e.action === 'instance.delete');
    expect(removal?.metadata).toMatchObject({
      name: 'does-not-fit',
      reason: 'placement_failed',
      error_code: 'no_capacity',
    });
  });

  it('503 no_capacity when no worker is registered at all, and the name can be used again later', async () => {
    const res = await create('early');
    expect(res.status).toBe(503);
    expect((await res.json()).error.code).toBe('no_capacity');
    await gw.startWorker({ workerId: 'w-late', capacity: 1 });
    expect((await create('early')).status).toBe(201);
  });
});

describe('readiness lists the workers', () => {
  it('shows each worker with sessions and cap, and the totals; zero workers is still ready', async () => {
    const empty = await gw.request('/readyz');
    expect(empty.status).toBe(200);
    expect(await empty.json()).toMatchObject({
      status: 'ok',
      workers: [],
      sessions: { held: 0, capacity: 0, free: 0 },
    });

    await gw.startWorker({ workerId: 'w-1', capacity: 3 });
    await gw.startWorker({ workerId: 'w-2', capacity: 5, draining: true });
    expect((await create('x')).status).toBe(201);
    const ready = await (await gw.request('/readyz')).json();
    expect(ready.workers).toEqual([
      { worker_id: 'w-1', sessions: 1, capacity: 3, draining: false },
      { worker_id: 'w-2', sessions: 0, capacity: 5, draining: true },
    ]);
    expect(ready.sessions).toEqual({ held: 1, capacity: 8, free: 2 });
  });
});
