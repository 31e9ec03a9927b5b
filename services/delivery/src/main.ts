// Delivery process: config, connections, consumers, dispatcher, HTTP (/healthz /readyz /metrics), shutdown.
import { connectNatsBus } from '@whatisup/bus';
import { createDb, createSecretBox, parseSecretsKey, runMigrations } from '@whatisup/db';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { startDeliveryProcess } from './process.ts';

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
const delivery = await startDeliveryProcess(env, { db, bus, secretBox: createSecretBox(secretsKey), logger });

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
  await delivery.stop();
  await Promise.allSettled([bus.close(), db.close()]);
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
