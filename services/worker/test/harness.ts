// A real worker (in-process) against a real wa-sim, on an isolated NATS prefix and a temp DATA_DIR, with
// every event it publishes recorded.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectNatsBus, decodeEvent, type NatsBus } from '@whatisup/bus';
import { type CommandReply, type EventEnvelope, newId } from '@whatisup/contracts';
import { type Simulator, startSimulator, trustSimulator } from '@whatisup/wa-sim';
import { JSONCodec } from 'nats';
import { parseEnv, type WorkerEnv } from '../src/env.ts';
import { startWorker, type WorkerHandle } from '../src/worker.ts';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const json = JSONCodec<unknown>();

export interface WorkerWorld {
  sim: Simulator;
  bus: NatsBus;
  prefix: string;
  /** Parent of every worker's DATA_DIR (`<dataDir>/<workerId>`). */
  dataDir: string;
  events: EventEnvelope[];
  startWorker(overrides?: Record<string, string>): Promise<WorkerHandle>;
  env(overrides?: Record<string, string>): WorkerEnv;
  command<T>(subject: string, payload?: unknown, timeoutMs?: number): Promise<CommandReply<T>>;
  waitForEvent(predicate: (e: EventEnvelope) => boolean, timeoutMs?: number): Promise<EventEnvelope>;
  close(): Promise<void>;
}

export async function startWorld(options: { qrRefs?: number } = {}): Promise<WorkerWorld> {
  const sim = await startSimulator({
    qr: { refs: options.qrRefs ?? 3 },
    deliveredReceiptDelayMs: 50,
    readReceiptDelayMs: 50,
  });
  trustSimulator({
    rootPublicKey: sim.rootPublicKey,
    ...(sim.mediaCaPem ? { mediaCaPem: sim.mediaCaPem } : {}),
  });
  const prefix = `w${randomBytes(4).toString('hex')}`;
  const bus = await connectNatsBus({ url: NATS_URL, prefix, name: 'worker-test' });
  const dataDir = await mkdtemp(join(tmpdir(), 'wiu-worker-'));
  const events: EventEnvelope[] = [];
  const waiters = new Set<{ test: (e: EventEnvelope) => boolean; resolve: (e: EventEnvelope) => void }>();
  bus.nc.subscribe(bus.subjects.allEvents, {
    callback: (_error, msg) => {
      const event = decodeEvent(msg.data);
      events.push(event);
      for (const waiter of waiters) {
        if (waiter.test(event)) {
          waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    },
  });
  const workers: WorkerHandle[] = [];
  const env = (overrides: Record<string, string> = {}) => {
    const workerId = overrides.WORKER_ID ?? `worker-${randomBytes(3).toString('hex')}`;
    return parseEnv({
      WORKER_ID: workerId,
      // Each worker has its own volume, as each StatefulSet pod does.
      DATA_DIR: join(dataDir, workerId),
      NATS_URL,
      NATS_PREFIX: prefix,
      PORT: '0',
      HOST: '127.0.0.1',
      WA_WEBSOCKET_URL: sim.url,
      QR_TIMEOUT_MS: '1500',
      RECONNECT_BASE_MS: '50',
      RECONNECT_MAX_MS: '500',
      SEND_TIMEOUT_MS: '5000',
      MEDIA_ALLOW_PRIVATE_URLS: 'true',
      HEARTBEAT_MS: '500',
      LOG_LEVEL: process.env.WORKER_TEST_LOG_LEVEL ?? 'silent',
      BAILEYS_LOG_LEVEL: 'silent',
      ...overrides,
    });
  };
  return {
    sim,
    bus,
    prefix,
    dataDir,
    events,
    env,
    async startWorker(overrides) {
      const worker = await startWorker(env(overrides));
      workers.push(worker);
      return worker;
    },
    async command<T>(subject: string, payload: unknown = {}, timeoutMs = 10_000) {
      const reply = await bus.nc.request(subject, json.encode(payload), { timeout: timeoutMs });
      return json.decode(reply.data) as CommandReply<T>;
    },
    waitForEvent(predicate, timeoutMs = 15_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { test: predicate, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter))
            reject(
              new Error(
                `no matching event within ${timeoutMs} ms; saw: ${events.map((e) => e.type).join(', ')}`,
              ),
            );
        }, timeoutMs).unref();
      });
    },
    async close() {
      for (const worker of workers) await worker.stop().catch(() => {});
      await bus.jsm.streams.delete(bus.subjects.eventStream).catch(() => {});
      await bus.jsm.streams.delete(`KV_${bus.subjects.workerRegistryBucket}`).catch(() => {});
      await bus.close();
      await sim.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export const newInstanceId = () => newId('instance');
export const newCustomerId = () => newId('customer');

/** Assigns a new instance to `workerId` and links it to `msisdn` by scanning its QR with the simulated phone. */
export async function linkInstance(
  world: WorkerWorld,
  workerId: string,
  msisdn: string,
): Promise<{ instanceId: string; customerId: string }> {
  const instanceId = newInstanceId();
  const customerId = newCustomerId();
  const { subjects } = world.bus;
  const assigned = await world.command(subjects.worker(workerId, 'assign'), {
    instance_id: instanceId,
    customer_id: customerId,
  });
  if (!assigned.ok) throw new Error(assigned.error.message);
  await world.waitForEvent((e) => e.type === 'qr.updated' && e.instance_id === instanceId);
  const qr = await world.command<{ qr: string }>(subjects.command(instanceId, 'qr'));
  if (!qr.ok) throw new Error(qr.error.message);
  world.sim.scanQr(msisdn, qr.data.qr);
  await world.waitForEvent((e) => e.type === 'instance.connected' && e.instance_id === instanceId);
  return { instanceId, customerId };
}

/** Environment for a worker child process (child-worker.ts) on this world's NATS prefix, data root and wa-sim. */
export function childWorkerEnv(world: WorkerWorld, workerId: string): Record<string, string> {
  const env = world.env({ WORKER_ID: workerId });
  return {
    WORKER_ID: workerId,
    DATA_DIR: env.DATA_DIR,
    NATS_URL: env.NATS_URL,
    NATS_PREFIX: env.NATS_PREFIX,
    PORT: '0',
    HOST: '127.0.0.1',
    WA_WEBSOCKET_URL: env.WA_WEBSOCKET_URL!,
    QR_TIMEOUT_MS: '1500',
    RECONNECT_BASE_MS: '50',
    RECONNECT_MAX_MS: '500',
    HEARTBEAT_MS: '500',
  };
}
