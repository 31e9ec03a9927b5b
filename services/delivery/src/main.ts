// Delivery process: config, connections, consumers, dispatcher, HTTP (/healthz /readyz /metrics), shutdown.
import { connectNatsBus } from '@whatisup/bus';
import { createDb, createSecretBox, parseSecretsKey, runMigrations } from '@whatisup/db';
import { configOrExit, stopOnSignals } from '@whatisup/service-kit';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { startDeliveryProcess } from './process.ts';

const env = configOrExit(() => parseEnv(process.env));
const secretsKey = configOrExit(() => parseSecretsKey(env.SECRETS_KEY));

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'delivery' } });

if (env.MIGRATE_ON_START) await runMigrations(env.DATABASE_URL);
const db = createDb(env.DATABASE_URL, { max: env.DATABASE_POOL_MAX, applicationName: 'whatisup-delivery' });
const bus = await connectNatsBus({ url: env.NATS_URL, prefix: env.NATS_PREFIX, name: 'whatisup-delivery' });
const delivery = await startDeliveryProcess(env, { db, bus, secretBox: createSecretBox(secretsKey), logger });

stopOnSignals(logger, env.SHUTDOWN_TIMEOUT_MS, async () => {
  await delivery.stop();
  await Promise.allSettled([bus.close(), db.close()]);
});
