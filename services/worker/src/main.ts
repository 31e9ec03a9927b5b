// Worker process. In simulator mode start it with `node --import @whatisup/wa-sim/trust src/main.ts` and
// WA_WEBSOCKET_URL pointing at wa-sim (see packages/wa-sim/README.md); never by default.
import { connectNatsBus } from '@whatisup/bus';
import { configOrExit, stopOnSignals } from '@whatisup/service-kit';
import pino from 'pino';
import { parseEnv } from './env.ts';
import { startWorker } from './worker.ts';

const env = configOrExit(() => parseEnv(process.env));

const logger = pino({ level: env.LOG_LEVEL, base: { service: 'worker' } });
const bus = await connectNatsBus({
  url: env.NATS_URL,
  prefix: env.NATS_PREFIX,
  name: `whatisup-worker-${env.WORKER_ID}`,
  registryTtlMs: env.REGISTRY_TTL_MS,
});
const worker = await startWorker(env, logger, { bus });

stopOnSignals(logger, env.SHUTDOWN_TIMEOUT_MS, async () => {
  await worker.stop();
  await bus.close();
});
