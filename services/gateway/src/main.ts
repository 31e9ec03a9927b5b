// Gateway process: config, connections, HTTP server, graceful shutdown.
import { connectNatsBus } from '@whatisup/bus';
import { createDb, createSecretBox, parseSecretsKey, runMigrations } from '@whatisup/db';
import { configOrExit, stopOnSignals } from '@whatisup/service-kit';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { connectRateLimitRedis, startGatewayServer } from './server.ts';

const env = configOrExit(() => parseEnv(process.env));
const secretsKey = configOrExit(() => parseSecretsKey(env.SECRETS_KEY));

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

stopOnSignals(logger, env.SHUTDOWN_TIMEOUT_MS, async () => {
  await server.stop();
  await Promise.allSettled([bus.close(), redis.quit(), dbHandle.close()]);
});
