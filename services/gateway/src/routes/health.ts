// /healthz: the process is alive. /readyz: deep checks, 503 when any fails. The body also lists the
// registered session workers with their sessions and caps (the seed's "MAX_SESSIONS_PER_WORKER exceeded"
// trouble), but zero workers or full workers do not make the gateway unready: it can still serve every
// read, and taking it out of the load balancer would not create capacity.
import { InProcessBus } from '@whatisup/bus';
import { Hono } from 'hono';
import type { DatabaseBreaker } from '../database-breaker.ts';
import type { AppEnv, GatewayDeps } from '../deps.ts';

type CheckResult = {
  status: 'ok' | 'fail';
  latency_ms: number;
  error?: string;
  breaker?: string;
  /** One-machine mode: which embedded twin stands in for the cluster service. */
  embedded?: string;
};

const CHECK_TIMEOUT_MS = 2_000;

async function timed(check: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { status: 'ok', latency_ms: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'fail',
      latency_ms: Math.round(performance.now() - started),
      error: (error as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

type WorkersSummary = {
  workers: { worker_id: string; sessions: number; capacity: number; draining: boolean }[];
  sessions: { held: number; capacity: number; free: number };
  workers_error?: string;
};

async function workersSummary(deps: Pick<GatewayDeps, 'workerRegistry'>): Promise<WorkersSummary> {
  try {
    const entries = await deps.workerRegistry.list();
    const workers = entries.map(({ worker_id, sessions, capacity, draining }) => ({
      worker_id,
      sessions,
      capacity,
      draining,
    }));
    const held = workers.reduce((sum, w) => sum + w.sessions, 0);
    const capacity = workers.reduce((sum, w) => sum + w.capacity, 0);
    const free = workers.reduce((sum, w) => sum + (w.draining ? 0 : Math.max(0, w.capacity - w.sessions)), 0);
    return { workers, sessions: { held, capacity, free } };
  } catch (error) {
    return {
      workers: [],
      sessions: { held: 0, capacity: 0, free: 0 },
      workers_error: `worker registry unreadable: ${(error as Error).message}`,
    };
  }
}

export function createHealthRoutes(
  deps: Pick<GatewayDeps, 'dbHandle' | 'redis' | 'bus' | 'workerRegistry'>,
  breaker?: DatabaseBreaker,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const [postgres, redis, nats, workers] = await Promise.all([
      timed(() => deps.dbHandle.ping()),
      deps.redis
        ? timed(async () => {
            if ((await deps.redis?.ping()) !== 'PONG') throw new Error('unexpected PING reply');
          })
        : Promise.resolve<CheckResult>({ status: 'ok', latency_ms: 0, embedded: 'in-process rate limiter' }),
      timed(() => deps.bus.ping()),
      Promise.race([
        workersSummary(deps),
        new Promise<WorkersSummary>((resolve) =>
          setTimeout(
            () =>
              resolve({
                workers: [],
                sessions: { held: 0, capacity: 0, free: 0 },
                workers_error: `worker registry not read within ${CHECK_TIMEOUT_MS} ms`,
              }),
            CHECK_TIMEOUT_MS,
          ).unref(),
        ),
      ]),
    ]);
    // The check is a probe of its own: a success closes the breaker early, and while it is open the API's
    // 503 database_unavailable is shown next to the check.
    if (postgres.status === 'ok') breaker?.succeeded();
    const state = breaker?.state;
    if (state?.open) postgres.breaker = `open since ${state.since}: /v1 answers 503 database_unavailable`;
    if (deps.dbHandle.kind === 'pglite') postgres.embedded = 'PGlite (embedded database)';
    if (deps.bus instanceof InProcessBus) nats.embedded = 'in-process bus';
    const checks = { postgres, redis, nats };
    // Deep by default: any failing check is a 503. `?scope=serving` (the Kubernetes readiness probe) decides
    // only on what the gateway cannot serve without; Redis is still reported, but while it is down the rate
    // limiter runs on local buckets, so taking every replica out of the Service would turn a degraded limiter
    // into an outage.
    const deciding = c.req.query('scope') === 'serving' ? [postgres, nats] : Object.values(checks);
    const ok = deciding.every((check) => check.status === 'ok');
    return c.json({ status: ok ? 'ok' : 'fail', checks, ...workers }, ok ? 200 : 503);
  });
  return app;
}
