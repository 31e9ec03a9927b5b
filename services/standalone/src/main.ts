// `pnpm start`: the whole product in one Node process — gateway, one session worker and the delivery service —
// wired with the same start functions the cluster uses. Each cluster service that is not configured is
// replaced by its embedded twin: PGlite in DATA_DIR/db for Postgres, the in-process bus (its event log in
// that database) for NATS, the in-process token bucket for Redis. `--check` prints the mode and exits.
import { type Bus, connectNatsBus, createInProcessBus } from '@whatisup/bus';
import { createSecretBox, type DbHandle, openDatabase, parseSecretsKey } from '@whatisup/db';
import { configOrExit, stopOnSignals } from '@whatisup/service-kit';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { describeMode, parseConfig } from './config.ts';
import { ensureFirstCustomer } from './first-run.ts';
import { loadOrCreateSecretsKey } from './secrets-key.ts';

const config = configOrExit(() => parseConfig(process.env));

const mode = describeMode(config);
const embedded = !config.DATABASE_URL && !config.NATS_URL && !config.REDIS_URL;
console.log(`WhatIsUp, one process (${embedded ? 'embedded mode' : 'using the configured services'}):`);
for (const line of mode) console.log(`  ${line}`);
if (process.argv.includes('--check')) process.exit(0);

// Simulator mode (tests, `pnpm demo`): make Baileys trust wa-sim before it is loaded. The hook refuses to act
// under NODE_ENV=production and does nothing unless WA_SIM_ROOT_PUBLIC_KEY is set.
if (process.env.WA_SIM_ROOT_PUBLIC_KEY) await import('@whatisup/wa-sim/trust');

const logger = pino({ level: config.LOG_LEVEL });
const gatewayEnvModule = await import('../../gateway/src/env.ts');
const deliveryEnvModule = await import('../../delivery/src/env.ts');
const workerEnvModule = await import('../../worker/src/env.ts');

let dbHandle: DbHandle | undefined;
let bus: Bus | undefined;
let redis: Redis | undefined;
try {
  const secrets = await loadOrCreateSecretsKey(config.SECRETS_KEY, config.dataDir);
  if (secrets.origin === 'created')
    console.log(`  secrets key: created ${secrets.path} (back it up with the data)`);
  const secretBox = createSecretBox(parseSecretsKey(secrets.key));
  const shared = { ...process.env, SECRETS_KEY: secrets.key, NATS_PREFIX: config.NATS_PREFIX };
  const gatewayEnv = gatewayEnvModule.parseEnv({ ...shared, PORT: String(config.PORT), HOST: config.HOST });
  const deliveryEnv = deliveryEnvModule.parseEnv({
    ...shared,
    PORT: String(config.DELIVERY_PORT),
    HOST: '127.0.0.1',
  });
  const workerEnv = workerEnvModule.parseEnv({
    ...shared,
    PORT: String(config.WORKER_PORT),
    HOST: '127.0.0.1',
    DATA_DIR: config.dataDir,
    WORKER_ID: config.WORKER_ID,
  });

  dbHandle = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    options: { max: gatewayEnv.DATABASE_POOL_MAX, applicationName: 'whatisup' },
  });
  await dbHandle.migrate();
  bus = config.NATS_URL
    ? await connectNatsBus({
        url: config.NATS_URL,
        prefix: config.NATS_PREFIX,
        name: 'whatisup-standalone',
        registryTtlMs: gatewayEnv.WORKER_REGISTRY_TTL_MS,
      })
    : await createInProcessBus({
        db: dbHandle.db,
        prefix: config.NATS_PREFIX,
        registryTtlMs: gatewayEnv.WORKER_REGISTRY_TTL_MS,
      });
  const { connectRateLimitRedis, startGatewayServer } = await import('../../gateway/src/server.ts');
  if (config.REDIS_URL) redis = connectRateLimitRedis(config.REDIS_URL, logger);

  const first = await ensureFirstCustomer(dbHandle.db);

  const { startDeliveryProcess } = await import('../../delivery/src/process.ts');
  const delivery = await startDeliveryProcess(deliveryEnv, {
    db: dbHandle,
    bus,
    secretBox,
    logger: logger.child({ service: 'delivery' }),
  });
  const { startWorker } = await import('../../worker/src/worker.ts');
  const worker = await startWorker(workerEnv, logger.child({ service: 'worker' }), { bus });
  const gateway = await startGatewayServer(gatewayEnv, {
    db: dbHandle,
    bus,
    redis,
    secretBox,
    logger: logger.child({ service: 'gateway' }),
  });

  const base = gateway.url;
  console.log('');
  console.log(`WhatIsUp is running. Ctrl+C stops it.`);
  console.log(`  API: ${base}/v1 (reference: ${base}/docs)`);
  console.log(`  Dashboard: ${base}/dashboard/`);
  console.log(
    `  Health: ${base}/readyz; worker ${worker.httpUrl}/metrics; delivery ${delivery.httpUrl}/metrics`,
  );
  if (first) {
    console.log('');
    console.log(
      `  A first customer was created (${first.customerId}). Its API key is stored only as a hash:`,
    );
    console.log(`  API key (shown once): ${first.apiKey}`);
    console.log(
      `  Sign in to the dashboard with it, or: curl -H "Authorization: Bearer $KEY" ${base}/v1/instances`,
    );
  } else {
    console.log(
      '  More customers and keys: pnpm admin customer:create --name "…" (with the product stopped in embedded mode)',
    );
  }
  console.log('');

  // Outside in: stop taking requests, then close the sessions (events flushed to the bus), then let the
  // delivery service finish what is in flight, then the bus and the database.
  stopOnSignals(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await gateway.stop();
    await worker.stop();
    await delivery.stop();
    await closeConnections();
  });
} catch (error) {
  console.error(`WhatIsUp could not start: ${(error as Error).message}`);
  logger.debug({ err: error }, 'start-up failed');
  await closeConnections();
  process.exit(1);
}

async function closeConnections(): Promise<void> {
  await Promise.allSettled([bus?.close(), redis?.quit()]);
  await dbHandle?.close().catch(() => {});
}
