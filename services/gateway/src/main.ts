// Gateway process: config, connections, HTTP server, graceful shutdown.
import { serve } from '@hono/node-server';
import { connectNatsBus } from '@whatisup/bus';
import { createDb, createSecretBox, parseSecretsKey, runMigrations } from '@whatisup/db';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createApp } from './app.ts';
import { parseEnv } from './env.ts';
import { FailoverRateLimiter } from './rate-limit/failover-rate-limiter.ts';
import { LocalTokenBucket } from './rate-limit/local-token-bucket.ts';
import { RedisTokenBucket } from './rate-limit/redis-token-bucket.ts';
import { kvWorkerRegistry } from './workers/registry.ts';
import { WorkerClient } from './workers/worker-client.ts';

let env: ReturnType<typeof parseEnv>;
let secretsKey: Buffer;
try {
  env = parseEnv(process.env);
  secretsKey = parseSecretsKey(env.SECRETS_KEY);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'gateway' } });

if (env.MIGRATE_ON_START) await runMigrations(env.DATABASE_URL);
const dbHandle = createDb(env.DATABASE_URL, {
  max: env.DATABASE_POOL_MAX,
  applicationName: 'whatisup-gateway',
});
const { db } = dbHandle;
const redis = new Redis(env.REDIS_URL, {
  // Fail fast while Redis is away: the rate limiter falls back to local buckets instead of queueing.
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 250,
  retryStrategy: (times) => Math.min(times * 200, 2_000),
});
redis.on('error', (error) => logger.debug({ err: error.message }, 'redis error'));
const bus = await connectNatsBus({
  url: env.NATS_URL,
  prefix: env.NATS_PREFIX,
  name: 'whatisup-gateway',
  registryTtlMs: env.WORKER_REGISTRY_TTL_MS,
});

const rateLimiter = new FailoverRateLimiter(
  new RedisTokenBucket(redis, env.REDIS_KEY_PREFIX),
  new LocalTokenBucket(),
  logger,
);
const shuttingDown = new AbortController();
const app = createApp({
  db,
  dbHandle,
  redis,
  bus,
  workers: new WorkerClient(bus, { timeoutMs: env.WORKER_COMMAND_TIMEOUT_MS, logger }),
  workerRegistry: kvWorkerRegistry(bus.registry, { ttlMs: env.WORKER_REGISTRY_TTL_MS }),
  rateLimiter,
  secretBox: createSecretBox(secretsKey),
  logger,
  config: {
    rateLimit: { burst: env.RATE_LIMIT_BURST, perSecond: env.RATE_LIMIT_PER_SECOND },
    apiKeyCacheTtlMs: env.API_KEY_CACHE_TTL_MS,
    maxBodyBytes: env.MAX_BODY_BYTES,
    webhookAllowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    database: { waitMs: env.DATABASE_WAIT_MS, probeIntervalMs: env.DATABASE_PROBE_INTERVAL_MS },
  },
  shutdownSignal: shuttingDown.signal,
});

const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  logger.info(
    { port: info.port, host: env.HOST },
    `gateway listening on http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${info.port}`,
  );
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.error('shutdown timed out, exiting');
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS);
  force.unref();
  shuttingDown.abort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.allSettled([bus.close(), redis.quit(), dbHandle.close()]);
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
