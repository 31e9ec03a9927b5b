// Gateway process: config, connections, HTTP server, graceful shutdown.
import { connectNatsBus } from '@whatisup/bus';
import { createDb, createSecretBox, parseSecretsKey, runMigrations } from '@whatisup/db';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { connectRateLimitRedis, startGatewayServer } from './server.ts';

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
const redis = connectRateLimitRedis(env.REDIS_URL, logger);
const bus = await connectNatsBus({
  url: env.NATS_URL,
  prefix: env.NATS_PREFIX,
  name: 'whatisup-gateway',
  registryTtlMs: env.WORKER_REGISTRY_TTL_MS,
});
const server = await startGatewayServer(env, {
  db: dbHandle,
  bus,
  redis,
  secretBox: createSecretBox(secretsKey),
  logger,
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
  await server.stop();
  await Promise.allSettled([bus.close(), redis.quit(), dbHandle.close()]);
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
