// Worker process. In simulator mode start it with `node --import @whatisup/wa-sim/trust src/main.ts` and
// WA_WEBSOCKET_URL pointing at wa-sim (see packages/wa-sim/README.md); never by default.
import { connectNatsBus } from '@whatisup/bus';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { startWorker } from './worker.ts';

let env: ReturnType<typeof parseEnv>;
try {
  env = parseEnv(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'worker' } });
const bus = await connectNatsBus({
  url: env.NATS_URL,
  prefix: env.NATS_PREFIX,
  name: `whatisup-worker-${env.WORKER_ID}`,
  registryTtlMs: env.REGISTRY_TTL_MS,
});
const worker = await startWorker(env, logger, { bus });

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
  await worker.stop();
  await bus.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
