// Benchmark: one delivery process (services/delivery/src/main.ts) fed by events published to its stream as fast
// as possible, delivering to a local receiver; then a steady 500 events/s for latency from publish to receipt;
// side by side with a bare undici POST loop to the same receiver. Each delivery counts only once its outcome is
// recorded in Postgres. Prints figures and PASS/FAIL against the targets; asserts nothing.
//   node test/bench/delivery.ts [--events 20000] [--rate 500] [--seconds 10] [--bare-seconds 5] [--cpu-prof DIR]
// The receiver runs as its own child process (`--role receiver`) so neither side steals the other's event loop.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { connectNatsBus } from '@whatisup/bus';
import { makeEvent } from '@whatisup/contracts';
import {
  createDb,
  createSecretBox,
  insertCustomer,
  insertInstance,
  insertWebhookEndpoint,
} from '@whatisup/db';
import { createTestDatabase } from '@whatisup/db/testing';
import { Agent, request } from 'undici';

const TARGETS = { deliveriesPerSecond: 3_000, p99Ms: 100 };
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const MAIN = new URL('../../services/delivery/src/main.ts', import.meta.url).pathname;

const { values: flags } = parseArgs({
  options: {
    role: { type: 'string', default: 'bench' },
    events: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    'bare-seconds': { type: 'string', default: '5' },
    'cpu-prof': { type: 'string' },
  },
  strict: true,
});

if (flags.role === 'receiver') await runReceiver();
else await runBench();

// Receiver: 204 to every POST; counts distinct webhook-ids and, when asked, latency from the event's created_at.
async function runReceiver(): Promise<void> {
  const seen = new Set<string>();
  let posts = 0;
  let latencies: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') {
        seen.add(id);
        const created = Date.parse(JSON.parse(Buffer.concat(chunks).toString()).created_at);
        latencies.push(Date.now() - created);
      }
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  process.on('message', (msg: { ask: string }) => {
    if (msg.ask === 'stats') process.send!({ distinct: seen.size, posts });
    if (msg.ask === 'latencies') {
      process.send!({ latencies });
      latencies = [];
    }
    if (msg.ask === 'reset') {
      latencies = [];
      posts = 0;
    }
  });
}

function ask<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (msg) => resolve(msg as T));
    child.send({ ask: what });
  });
}

async function runBench(): Promise<void> {
  const total = positiveInt('events');
  const rate = positiveInt('rate');
  const seconds = positiveInt('seconds');
  const bareSeconds = positiveInt('bare-seconds');
  console.log(machine());

  const database = await createTestDatabase();
  const db = createDb(database.url, { max: 4 });
  const prefix = `wiubench_${randomBytes(4).toString('hex')}`;
  const bus = await connectNatsBus({ url: NATS_URL, prefix, name: 'delivery-bench' });
  const secretsKey = randomBytes(32);
  const receiver = fork(new URL(import.meta.url).pathname, ['--role', 'receiver'], { stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    receiver.once('message', (m) => resolve(m as { port: number })),
  );
  const url = `http://127.0.0.1:${port}/hook`;

  const customer = await insertCustomer(db.db, { name: 'bench' });
  const instance = await insertInstance(db.db, { customerId: customer.id, name: 'bench' });
  await insertWebhookEndpoint(db.db, {
    customerId: customer.id,
    url,
    description: null,
    events: [],
    secretSealed: createSecretBox(secretsKey).seal(`whsec_${randomBytes(32).toString('base64')}`),
  });
  const profile = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
  const delivery = spawn(process.execPath, [...profile, MAIN], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      NATS_URL,
      NATS_PREFIX: prefix,
      SECRETS_KEY: secretsKey.toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      MIGRATE_ON_START: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const scope = { customerId: customer.id, instanceId: instance.id };
  const data = {
    message_id: 'msg_bench',
    wa_message_id: 'ABCDEF0123456789',
    from: '15551234567',
    push_name: 'Bench',
    type: 'text',
    text: 'hello from the benchmark, a message of ordinary length',
    media: null,
    quoted_id: null,
    timestamp: new Date().toISOString(),
  };
  const publish = () => bus.publishEvent(makeEvent('message.received', scope, data));
  const delivered = async () =>
    Number(
      (await db.sql`select count(*)::int as n from webhook_deliveries where status = 'delivered'`)[0]!.n,
    );
  const waitDelivered = async (n: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while ((await delivered()) < n) {
      if (Date.now() > deadline) throw new Error(`only ${await delivered()} of ${n} delivered in time`);
      await sleep(20);
    }
  };

  try {
    // Warm-up: connections, prepared statements, JIT.
    const warmup = 1_000;
    await publishAll(publish, warmup);
    await waitDelivered(warmup, 60_000);

    // Throughput: everything published at once; the clock stops when the last outcome is in Postgres.
    const cpuBefore = cpuSeconds(delivery.pid!);
    const started = performance.now();
    await publishAll(publish, total);
    const publishedMs = performance.now() - started;
    await waitDelivered(warmup + total, 300_000);
    const elapsedS = (performance.now() - started) / 1000;
    const throughput = total / elapsedS;
    const cpuPerDeliveryMs = ((cpuSeconds(delivery.pid!) - cpuBefore) * 1000) / total;
    const stats = await ask<{ distinct: number; posts: number }>(receiver, 'stats');

    // Latency at a steady rate: publish → receipt (the receiver compares with the event's created_at).
    await ask(receiver, 'latencies');
    const steadyTotal = rate * seconds;
    const tick = 10;
    const perTick = rate / (1000 / tick);
    let sent = 0;
    const steadyStart = performance.now();
    while (sent < steadyTotal) {
      const due = Math.min(
        steadyTotal,
        Math.floor(((performance.now() - steadyStart) / 1000) * rate) + perTick,
      );
      const batch = [];
      for (; sent < due; sent++) batch.push(publish());
      await Promise.all(batch);
      await sleep(tick);
    }
    await waitDelivered(warmup + total + steadyTotal, 60_000);
    const { latencies } = await ask<{ latencies: number[] }>(receiver, 'latencies');
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;

    // Reference: a bare undici POST loop to the same receiver, same body size, 64 in flight.
    const body = JSON.stringify(makeEvent('message.received', scope, data));
    const agent = new Agent({ pipelining: 1, keepAliveTimeout: 30_000 });
    let bareCount = 0;
    const bareEnd = performance.now() + bareSeconds * 1000;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (performance.now() < bareEnd) {
          const res = await request(url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json' },
            dispatcher: agent,
          });
          await res.body.dump();
          bareCount++;
        }
      }),
    );
    await agent.close();
    const bare = bareCount / bareSeconds;

    console.log('');
    console.log(
      `published ${total} events in ${(publishedMs / 1000).toFixed(2)} s (${Math.round(total / (publishedMs / 1000))}/s)`,
    );
    console.log(
      `receiver saw ${stats.distinct} distinct webhook-ids in ${stats.posts} posts (warm-up included)`,
    );
    console.log('');
    console.log(
      `delivery process: ${Math.round(throughput)} deliveries/s (${total} in ${elapsedS.toFixed(2)} s, each recorded in Postgres)`,
    );
    console.log(
      `delivery process CPU (user + system, all threads): ${cpuPerDeliveryMs.toFixed(3)} ms per delivery ` +
        `(≈ ${Math.round(1000 / cpuPerDeliveryMs)} deliveries/s per fully available core)`,
    );
    console.log(`bare undici loop: ${Math.round(bare)} posts/s (64 in flight, ${bareSeconds} s)`);
    console.log(`ratio delivery / bare: ${(throughput / bare).toFixed(3)}`);
    console.log(
      `latency at ${rate} events/s for ${seconds} s, publish → receipt: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${latencies.at(-1)} ms (n=${latencies.length})`,
    );
    console.log('');
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    console.log(
      `${verdict(throughput >= TARGETS.deliveriesPerSecond)} throughput ≥ ${TARGETS.deliveriesPerSecond}/s`,
    );
    console.log(`${verdict(p(0.99) < TARGETS.p99Ms)} p99 < ${TARGETS.p99Ms} ms at ${rate}/s`);
  } finally {
    delivery.kill('SIGTERM');
    await new Promise((resolve) => delivery.once('exit', resolve));
    receiver.kill();
    await bus.jsm.streams.delete(bus.subjects.eventStream).catch(() => {});
    await bus.close();
    await db.close();
    await database.drop();
  }
}

/** Publishes `count` events, 500 acks outstanding at a time (JetStream acks every publish). */
async function publishAll(publish: () => Promise<unknown>, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 500 }, async () => {
      while (next < count) {
        next++;
        await publish();
      }
    }),
  );
}

function positiveInt(name: 'events' | 'rate' | 'seconds' | 'bare-seconds'): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer, got "${flags[name]}"`);
    process.exit(2);
  }
  return value;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function machine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const gib = Math.round(totalmem() / 2 ** 30);
  return `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${gib} GiB RAM, load ${load}, Node ${process.version}`;
}
