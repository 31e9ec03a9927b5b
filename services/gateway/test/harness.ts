// A gateway built exactly as main.ts builds it, on an isolated database, Redis key prefix and NATS prefix,
// with its log lines captured so tests can assert on them.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDb, createSecretBox, type Database, type DbHandle, type SecretBox } from '@whatisup/db';
import { createTestDatabase, type TestDatabase } from '@whatisup/db/testing';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { createApiKey, createCustomer } from '../src/admin/operations.ts';
import { createApp } from '../src/app.ts';
import type { GatewayConfig } from '../src/deps.ts';
import { FailoverRateLimiter } from '../src/rate-limit/failover-rate-limiter.ts';
import { LocalTokenBucket } from '../src/rate-limit/local-token-bucket.ts';
import { RedisTokenBucket } from '../src/rate-limit/redis-token-bucket.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Test responses parse to `any` so assertions can reach into bodies without casts. */
// biome-ignore lint/suspicious/noExplicitAny: test-only convenience
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface TestGateway {
  app: ReturnType<typeof createApp>;
  db: Database;
  dbHandle: DbHandle;
  database: TestDatabase;
  redis: Redis;
  nats: NatsConnection;
  logs: string[];
  /** The box the app seals webhook secrets with, so tests can check what is stored. */
  secretBox: SecretBox;
  /** A new customer with one API key. */
  customer(name?: string): Promise<{ id: string; key: string; keyId: string }>;
  request(path: string, init?: RequestInit & { key?: string; json?: unknown }): Promise<TestResponse>;
  close(): Promise<void>;
}

export async function startTestGateway(
  options: { config?: Partial<GatewayConfig>; redis?: Redis } = {},
): Promise<TestGateway> {
  const database = await createTestDatabase();
  const dbHandle = createDb(database.url, { max: 10 });
  const redis =
    options.redis ??
    new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500 });
  if (!options.redis) await new Promise((resolve) => redis.once('ready', resolve));
  const nats = await connect({ servers: NATS_URL });
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
    sql: dbHandle.sql,
    redis,
    nats,
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
      await nats.close();
      if (!options.redis) redis.disconnect();
      await dbHandle.close();
      await database.drop();
    },
  };
}
