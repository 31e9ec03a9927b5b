// Delivery process: config, connections, consumers, dispatcher, HTTP (/healthz /readyz /metrics), shutdown.
import { serve } from '@hono/node-server';
import { connectNatsBus } from '@whatisup/bus';
import { createDb, createSecretBox, parseSecretsKey, runMigrations } from '@whatisup/db';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { createHttpApp } from './http.ts';
import { startDeliveryService } from './service.ts';

let env: ReturnType<typeof parseEnv>;
let secretsKey: Buffer;
try {
  env = parseEnv(process.env);
  secretsKey = parseSecretsKey(env.SECRETS_KEY);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'delivery' } });

if (env.MIGRATE_ON_START) await runMigrations(env.DATABASE_URL);
const db = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, applicationName: 'whatisup-delivery' });
const bus = await connectNatsBus({ url: env.NATS_URL, prefix: env.NATS_PREFIX, name: 'whatisup-delivery' });
const service = await startDeliveryService({
  db,
  bus,
  secretBox: createSecretBox(secretsKey),
  logger,
  config: {
    scheduleMs: env.DELIVERY_SCHEDULE_MS,
    jitter: env.DELIVERY_JITTER,
    concurrency: env.DELIVERY_CONCURRENCY,
    endpointConcurrency: env.DELIVERY_ENDPOINT_CONCURRENCY,
    claimBatch: env.DELIVERY_CLAIM_BATCH,
    pollIntervalMs: env.DELIVERY_POLL_INTERVAL_MS,
    connectTimeoutMs: env.DELIVERY_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: env.DELIVERY_RESPONSE_TIMEOUT_MS,
    leaseMs: env.DELIVERY_LEASE_MS,
    eventBatch: env.DELIVERY_EVENT_BATCH,
    ackWaitMs: env.DELIVERY_ACK_WAIT_MS,
    allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  },
});

const app = createHttpApp(service);
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  logger.info({ port: info.port, host: env.HOST }, 'delivery service listening');
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
  await service.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.allSettled([bus.close(), db.close()]);
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
