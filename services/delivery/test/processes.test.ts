// The delivery service as real processes (main.ts): killed with SIGKILL in the middle of a burst, and two of
// them sharing one database and one stream.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONSUMERS } from '../src/service.ts';
import {
  createWorld,
  deliveryRows,
  NATS_URL,
  type Receiver,
  startReceiver,
  type World,
  waitFor,
} from './fixture.ts';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

let world: World;
let receiver: Receiver;
const children: ChildProcess[] = [];
beforeEach(async () => {
  world = await createWorld();
  receiver = await startReceiver();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  await world.close();
  await receiver.close();
});

interface DeliveryProcess {
  child: ChildProcess;
  /** delivery ids this process attempted (from its debug log). */
  attempted: string[];
}

async function spawnDelivery(): Promise<DeliveryProcess> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: world.database.url,
      NATS_URL,
      NATS_PREFIX: world.prefix,
      SECRETS_KEY: world.secretsKey.toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      MIGRATE_ON_START: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      DELIVERY_SCHEDULE_MS: '0,100,200,300,400,500',
      DELIVERY_JITTER: '0',
      DELIVERY_ACK_WAIT_MS: '2000',
      DELIVERY_LEASE_MS: '3000',
      DELIVERY_CONNECT_TIMEOUT_MS: '500',
      DELIVERY_RESPONSE_TIMEOUT_MS: '1000',
      DELIVERY_POLL_INTERVAL_MS: '50',
      DELIVERY_CONCURRENCY: '32',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const attempted: string[] = [];
  let started = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.includes('delivery service listening')) started = true;
    if (line.includes('"webhook attempt"')) attempted.push(JSON.parse(line).delivery_id);
  });
  await waitFor(() => started || child.exitCode !== null, 20_000);
  if (!started) throw new Error(`delivery process exited with ${child.exitCode}`);
  return { child, attempted };
}

async function publishBurst(customer: { id: string; instanceId: string }, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, () => world.publish(customer)),
    );
    ids.push(...batch.map((e) => e.id));
  }
  return ids;
}

describe('delivery processes', () => {
  it('loses nothing when SIGKILLed mid-burst of 1,000 events; duplicates only where an attempt was in flight', async () => {
    const customer = await world.customer();
    await world.endpoint(customer.id, receiver.url);
    receiver.reply = () => ({ status: 200, delayMs: 5 });
    const first = await spawnDelivery();
    const publishing = publishBurst(customer, 1_000);
    await waitFor(() => receiver.received.length >= 150, 20_000, 5);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const receivedAtKill = receiver.received.length;
    const ids = await publishing;
    expect(receivedAtKill).toBeLessThan(1_000);

    await spawnDelivery();
    const rows = await waitFor(
      async () => {
        const all = await deliveryRows(world);
        return all.length === 1_000 && all.every((r) => r.status === 'delivered') ? all : null;
      },
      45_000,
      100,
    );
    const receivedIds = new Set(receiver.received.map((r) => String(r.headers['webhook-id'])));
    expect(ids.every((id) => receivedIds.has(id))).toBe(true);
    for (const row of rows) {
      const receipts = receiver.byEventId(row.event_id).length;
      expect(receipts).toBeGreaterThanOrEqual(1);
      // A second receipt needs a second attempt: the first one's outcome was lost with the process (its
      // request was in flight or its outcome not yet written when the process died).
      expect(receipts).toBeLessThanOrEqual(row.attempts);
    }
    const duplicated = rows.filter((r) => receiver.byEventId(r.event_id).length > 1).length;
    expect(duplicated).toBeLessThanOrEqual(receivedAtKill);
  }, 90_000);

  it('two dispatcher processes on one database never attempt the same delivery at the same time', async () => {
    const customer = await world.customer();
    await world.endpoint(customer.id, receiver.url);
    // About a third of the events fail once, so retries are claimed while both processes are busy.
    const failsOnce = (id: string) => id.charCodeAt(id.length - 1) % 3 === 0;
    receiver.reply = (request, count) => {
      const id = String(request.headers['webhook-id']);
      return { status: count === 0 && failsOnce(id) ? 500 : 200, delayMs: 15 };
    };
    const a = await spawnDelivery();
    const b = await spawnDelivery();
    await publishBurst(customer, 300);
    const rows = await waitFor(
      async () => {
        const all = await deliveryRows(world);
        return all.length === 300 && all.every((r) => r.status === 'delivered') ? all : null;
      },
      40_000,
      100,
    );
    for (const row of rows) {
      const receipts = receiver.byEventId(row.event_id).sort((x, y) => x.at - y.at);
      expect(receipts.length).toBe(row.attempts);
      for (let i = 1; i < receipts.length; i++) {
        expect(receipts[i]!.at).toBeGreaterThanOrEqual(receipts[i - 1]!.finishedAt!);
      }
    }
    expect(rows.filter((r) => r.attempts === 2).length).toBeGreaterThan(50);
    const both = [...a.attempted, ...b.attempted];
    expect(new Set(both).size).toBe(300);
    expect(both.length).toBe(rows.reduce((sum, r) => sum + r.attempts, 0));
    expect(a.attempted.length).toBeGreaterThan(0);
    expect(b.attempted.length).toBeGreaterThan(0);
    // Per-endpoint consumers are shared too: each event was fanned out once in all.
    const info = await world.bus.jsm.consumers.info(world.bus.subjects.eventStream, CONSUMERS.fanout);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  }, 60_000);

  it('SIGTERM: finishes attempts in flight, gives back queued claims, exits 0; a new process sends each once', async () => {
    const customer = await world.customer();
    await world.endpoint(customer.id, receiver.url);
    receiver.reply = () => ({ status: 200, delayMs: 200 });
    const first = await spawnDelivery();
    await publishBurst(customer, 300);
    await waitFor(() => receiver.received.length >= 40, 20_000, 5);
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    const code = await new Promise((resolve) => first.child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const [left] = await world.db.sql<{ leased: number; delivered: number }[]>`
      select count(*) filter (where lease_expires_at is not null)::int as leased,
             count(*) filter (where status = 'delivered')::int as delivered
      from webhook_deliveries`;
    expect(left!.leased).toBe(0);
    expect(left!.delivered).toBe(receiver.received.length);

    await spawnDelivery();
    const rows = await waitFor(
      async () => {
        const all = await deliveryRows(world);
        return all.length === 300 && all.every((r) => r.status === 'delivered') ? all : null;
      },
      30_000,
      100,
    );
    for (const row of rows) {
      expect(receiver.byEventId(row.event_id)).toHaveLength(1);
      expect(row.attempts).toBe(1);
    }
  }, 60_000);
});
