// /healthz: the process is alive. /readyz: deep checks, 503 when any fails.
import { Hono } from 'hono';
import type { AppEnv, GatewayDeps } from '../deps.ts';

type CheckResult = { status: 'ok' | 'fail'; latency_ms: number; error?: string };

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

export function createHealthRoutes(deps: Pick<GatewayDeps, 'sql' | 'redis' | 'nats'>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const [postgres, redis, nats] = await Promise.all([
      timed(() => deps.sql.begin((tx) => tx.unsafe('select 1'))),
      timed(async () => {
        if ((await deps.redis.ping()) !== 'PONG') throw new Error('unexpected PING reply');
      }),
      timed(async () => {
        if (deps.nats.isClosed()) throw new Error('connection closed');
        await deps.nats.flush();
      }),
    ]);
    const checks = { postgres, redis, nats };
    const ok = Object.values(checks).every((check) => check.status === 'ok');
    return c.json({ status: ok ? 'ok' : 'fail', checks }, ok ? 200 : 503);
  });
  return app;
}
