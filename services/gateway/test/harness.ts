// A gateway built exactly as main.ts builds it, on an isolated database, Redis key prefix and NATS prefix,
// with its log lines captured so tests can assert on them.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { connectNatsBus, type NatsBus } from '@whatisup/bus';
import type { WorkerRegistration } from '@whatisup/contracts';
import {
  createDb,
  createSecretBox,
  type Database,
  type PostgresDbHandle,
  type SecretBox,
} from '@whatisup/db';
import { createTestDatabase, type TestDatabase } from '@whatisup/db/testing';
import { Redis } from 'ioredis';
import type { KV, NatsConnection } from 'nats';
import pino from 'pino';
import { createApiKey, createCustomer } from '../src/admin/operations.ts';
import { createApp } from '../src/app.ts';
import type { GatewayConfig } from '../src/deps.ts';
import { FailoverRateLimiter } from '../src/rate-limit/failover-rate-limiter.ts';
import { LocalTokenBucket } from '../src/rate-limit/local-token-bucket.ts';
import { RedisTokenBucket } from '../src/rate-limit/redis-token-bucket.ts';
import { kvWorkerRegistry } from '../src/workers/registry.ts';
import { WorkerClient } from '../src/workers/worker-client.ts';
import { type StandInOptions, type StandInWorker, startStandInWorker } from './stand-in-worker.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Test responses parse to `any` so assertions can reach into bodies without casts. */
// biome-ignore lint/suspicious/noExplicitAny: test-only convenience
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface TestGateway {
  app: ReturnType<typeof createApp>;
  db: Database;
  dbHandle: PostgresDbHandle;
  database: TestDatabase;
  redis: Redis;
  nats: NatsConnection;
  /** This gateway's own NATS prefix (subjects, event stream, worker registry bucket). */
  bus: NatsBus;
  registry: KV;
  /** The stand-in worker started by default (undefined with `standInWorker: false`). */
  standIn: StandInWorker | undefined;
  /** Starts another stand-in worker on this gateway's prefix; stopped on close. */
  startWorker(options: StandInOptions): Promise<StandInWorker>;
  /** Writes a registry entry directly (no worker behind it), e.g. a stale or draining one. */
  putRegistration(entry: Partial<WorkerRegistration> & { worker_id: string }): Promise<void>;
  logs: string[];
  /** The box the app seals webhook secrets with, so tests can check what is stored. */
  secretBox: SecretBox;
  /** A new customer with one API key. */
  customer(name?: string): Promise<{ id: string; key: string; keyId: string }>;
  request(path: string, init?: RequestInit & { key?: string; json?: unknown }): Promise<TestResponse>;
  close(): Promise<void>;
}

export async function startTestGateway(
  options: {
    config?: Partial<GatewayConfig>;
    redis?: Redis;
    /** Instance command timeout (default 2 s). */
    commandTimeoutMs?: number;
    /** Registry entries older than this are ignored (default 15 s). */
    registryTtlMs?: number;
    /** false: no worker at all; otherwise options for the default stand-in (capacity 1000). */
    standInWorker?: false | Partial<StandInOptions>;
    /** Maps the test database's URL to the one the app uses (e.g. through a proxy). */
    databaseUrl?: (url: string) => string;
    /** The gateway's own NATS URL (e.g. a proxy a test cuts); stand-in workers use NATS_URL. */
    natsUrl?: string;
  } = {},
): Promise<TestGateway> {
  const database = await createTestDatabase();
  const dbHandle = createDb(options.databaseUrl?.(database.url) ?? database.url, { max: 10 });
  const redis =
    options.redis ??
    new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  if (!options.redis) await new Promise((resolve) => redis.once('ready', resolve));
  const registryTtlMs = options.registryTtlMs ?? 15_000;
  const bus = await connectNatsBus({
    url: options.natsUrl ?? NATS_URL,
    prefix: `t${randomBytes(6).toString('hex')}`,
    name: 'gateway-test',
    registryTtlMs,
  });
  const nats = bus.nc;
  const registry = await bus.workerRegistry();
  const workers: StandInWorker[] = [];
  const startWorker = async (workerOptions: StandInOptions) => {
    const worker = await startStandInWorker(NATS_URL, bus.subjects, registry, workerOptions);
    workers.push(worker);
    return worker;
  };
  const standIn =
    options.standInWorker === false
      ? undefined
      : await startWorker({ workerId: 'stand-in', capacity: 1000, ...options.standInWorker });
  const logs: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
  );
  const secretBox = createSecretBox(randomBytes(32));
  const keyPrefix = `wiu-test-${randomBytes(4).toString('hex')}:`;
  const app = createApp({
    db: dbHandle.db,
    dbHandle,
    redis,
    bus,
    workers: new WorkerClient(bus, { timeoutMs: options.commandTimeoutMs ?? 2_000, logger }),
    workerRegistry: kvWorkerRegistry(bus.registry, { ttlMs: registryTtlMs }),
    rateLimiter: new FailoverRateLimiter(
      new RedisTokenBucket(redis, keyPrefix),
      new LocalTokenBucket(),
      logger,
    ),
    secretBox,
    logger,
    config: {
      rateLimit: { burst: 1000, perSecond: 1000 },
      apiKeyCacheTtlMs: 5_000,
      maxBodyBytes: 64 * 1024,
      webhookAllowPrivateTargets: false,
      ...options.config,
    },
  });

  return {
    app,
    db: dbHandle.db,
    dbHandle,
    database,
    redis,
    nats,
    bus,
    registry,
    standIn,
    startWorker,
    async putRegistration(entry) {
      const now = new Date().toISOString();
      await registry.put(
        entry.worker_id,
        JSON.stringify({
          capacity: 10,
          sessions: 0,
          draining: false,
          started_at: now,
          updated_at: now,
          ...entry,
        }),
      );
    },
    logs,
    secretBox,
    async customer(name = 'Acme') {
      const customer = await createCustomer(dbHandle.db, name);
      const key = await createApiKey(dbHandle.db, customer.id, 'test');
      return { id: customer.id, key: key.key, keyId: key.id };
    },
    request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.key) headers.set('Authorization', `Bearer ${init.key}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('Content-Type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return Promise.resolve(app.request(path, { ...init, headers, body })) as Promise<TestResponse>;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await bus.jsm.streams.delete(bus.subjects.eventStream).catch(() => {});
      await bus.jsm.streams.delete(`KV_${bus.subjects.workerRegistryBucket}`).catch(() => {});
      await nats.close();
      if (!options.redis) redis.disconnect();
      await dbHandle.close();
      await database.drop();
    },
  };
}
