// Builds and runs one worker: bus, registry heartbeat, sessions, command handlers, HTTP. main.ts runs it as
// a process; tests run it in-process or as a child process.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bus, connectNatsBus } from '@whatisup/bus';
import { listen } from '@whatisup/service-kit';
import pino, { type Logger } from 'pino';
import { listenForInstance, listenForPlacement } from './commands.ts';
import type { WorkerEnv } from './env.ts';
import { EventPublisher } from './event-publisher.ts';
import { createWorkerHttp } from './http.ts';
import { createWorkerMetrics } from './metrics.ts';
import { RegistryHeartbeat } from './registry.ts';
import { createMediaFetcher } from './session/media-fetch.ts';
import { SessionManager } from './session-manager.ts';

export interface WorkerHandle {
  workerId: string;
  bus: Bus;
  manager: SessionManager;
  events: EventPublisher;
  /** Base URL of the health/metrics server. */
  httpUrl: string;
  /** Graceful stop: no new instances, sockets closed without logging out, events flushed, registry entry removed. */
  stop(): Promise<void>;
}

/**
 * `options.bus`: the bus to use (main.ts and the one-process mode pass theirs, and close it themselves);
 * without it the worker connects to NATS from env and closes that connection when it stops.
 */
export async function startWorker(
  env: WorkerEnv,
  logger: Logger = pino({ level: env.LOG_LEVEL }),
  options: { bus?: Bus } = {},
): Promise<WorkerHandle> {
  const log = logger.child({ worker_id: env.WORKER_ID });
  await mkdir(join(env.DATA_DIR, 'sessions'), { recursive: true, mode: 0o700 });
  const ownBus = !options.bus;
  const bus =
    options.bus ??
    (await connectNatsBus({
      url: env.NATS_URL,
      prefix: env.NATS_PREFIX,
      name: `whatisup-worker-${env.WORKER_ID}`,
      registryTtlMs: env.REGISTRY_TTL_MS,
    }));
  const events = new EventPublisher(bus, log, env.EVENT_BUFFER_MAX);
  const media = createMediaFetcher({
    allowPrivate: env.MEDIA_ALLOW_PRIVATE_URLS,
    maxBytes: env.MEDIA_MAX_BYTES,
    timeoutMs: env.SEND_TIMEOUT_MS,
  });
  const metrics = createWorkerMetrics();
  let heartbeat: RegistryHeartbeat | undefined;
  let beatTimer: NodeJS.Timeout | undefined;
  const scheduleBeat = () => {
    if (!heartbeat || beatTimer) return;
    beatTimer = setTimeout(() => {
      beatTimer = undefined;
      void heartbeat?.beat();
    }, 100);
  };

  const manager: SessionManager = new SessionManager({
    workerId: env.WORKER_ID,
    dataDir: env.DATA_DIR,
    capacity: env.MAX_SESSIONS_PER_WORKER,
    session: {
      waWebSocketUrl: env.WA_WEBSOCKET_URL,
      qrTimeoutMs: env.QR_TIMEOUT_MS,
      reconnectBaseMs: env.RECONNECT_BASE_MS,
      reconnectMaxMs: env.RECONNECT_MAX_MS,
      reconnectBudget: env.RECONNECT_BUDGET,
      reconnectWindowMs: env.RECONNECT_WINDOW_MS,
      qrSessionBudget: env.QR_SESSION_BUDGET,
      qrWindowMs: env.QR_WINDOW_MS,
      sendTimeoutMs: env.SEND_TIMEOUT_MS,
      sendQueueWaitMs: env.SEND_QUEUE_WAIT_MS,
    },
    logger: log,
    baileysLogger: pino({ level: env.BAILEYS_LOG_LEVEL }).child({
      worker_id: env.WORKER_ID,
      component: 'baileys',
    }),
    media,
    events,
    onChange: scheduleBeat,
    observe: (event) => {
      if (event.type === 'message.sent') metrics.sends.inc();
      if (event.type === 'session.invalidated')
        metrics.sessionInvalidations.inc({ reason: String(event.data.reason) });
      if (event.type === 'message.failed') {
        metrics.sendFailures.inc({ code: String((event.data.error as { code?: string } | undefined)?.code) });
      }
    },
    listen: (session) => listenForInstance(bus, session, log),
  });

  const placement = listenForPlacement(bus, env.WORKER_ID, manager, log);
  heartbeat = new RegistryHeartbeat(bus.registry, log, () => ({
    worker_id: env.WORKER_ID,
    capacity: env.MAX_SESSIONS_PER_WORKER,
    sessions: manager.count,
    draining: manager.draining,
  }));
  // Visible (registry, health) before resuming: reconnecting 1,000 sessions takes a while.
  const stored = await manager.reserveStored();
  await heartbeat.start(env.HEARTBEAT_MS);

  const app = createWorkerHttp({
    workerId: env.WORKER_ID,
    dataDir: env.DATA_DIR,
    bus,
    manager,
    events,
    metrics,
    keepaliveStaleMs: env.KEEPALIVE_STALE_MS,
  });
  const http = await listen(app.fetch, env.PORT, env.HOST);
  log.info(
    { resuming: stored.length, capacity: env.MAX_SESSIONS_PER_WORKER, port: http.port },
    'worker started',
  );
  const resuming = manager
    .resume(stored)
    .then((resumed) => log.info({ resumed }, 'sessions resumed'))
    .catch((error: Error) => log.error({ err: error.message }, 'resuming sessions failed'));

  let stopping: Promise<void> | undefined;
  return {
    workerId: env.WORKER_ID,
    bus,
    manager,
    events,
    httpUrl: http.url,
    stop() {
      stopping ??= (async () => {
        manager.draining = true;
        placement.unsubscribe();
        await resuming;
        clearTimeout(beatTimer);
        await heartbeat?.stop(env.WORKER_ID);
        await manager.stopAll();
        await Promise.race([events.flushed(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
        await media.close();
        await http.close();
        if (ownBus) await bus.close();
        log.info('worker stopped');
      })();
      return stopping;
    },
  };
}
