// The worker's HTTP surface: /healthz, /readyz (the bus, DATA_DIR writable, Baileys probe, sessions and cap)
// and /metrics.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus } from '@whatisup/bus';
import { Hono } from 'hono';
import type { EventPublisher } from './event-publisher.ts';
import type { WorkerMetrics } from './metrics.ts';
import type { SessionManager } from './session-manager.ts';

export interface WorkerHttpDeps {
  workerId: string;
  dataDir: string;
  bus: Bus;
  manager: SessionManager;
  events: EventPublisher;
  metrics: WorkerMetrics;
  keepaliveStaleMs: number;
}

type Check = { status: 'ok' | 'fail'; error?: string; [key: string]: unknown };

export function createWorkerHttp(deps: WorkerHttpDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks: Record<string, Check> = {};
    try {
      await deps.bus.ping();
      checks.nats = { status: 'ok' };
    } catch (error) {
      checks.nats = { status: 'fail', error: (error as Error).message };
    }
    const probe = join(deps.dataDir, `.readyz-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(probe, 'ok', { mode: 0o600 });
      await rm(probe);
      checks.data_dir = { status: 'ok', path: deps.dataDir };
    } catch (error) {
      checks.data_dir = { status: 'fail', path: deps.dataDir, error: (error as Error).message };
    }
    const now = Date.now();
    const sessions = deps.manager.sessions();
    const stale = sessions
      .filter((s) => s.status === 'connected' && now - s.lastFrameAt > deps.keepaliveStaleMs)
      .map((s) => s.instanceId);
    const unreadable = sessions
      .filter((s) => s.status === 'auth_state_unreadable')
      .map((s) => ({ instance_id: s.instanceId, error: s.lastError?.message }));
    checks.baileys = {
      status: stale.length === 0 && unreadable.length === 0 ? 'ok' : 'fail',
      stale_sockets: stale,
      auth_state_unreadable: unreadable,
    };
    checks.events = deps.events.backlogged
      ? { status: 'fail', pending: deps.events.pending, error: 'events are waiting for JetStream' }
      : { status: 'ok', pending: deps.events.pending };
    const byStatus: Record<string, number> = {};
    for (const s of sessions) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    const ok = Object.values(checks).every((check) => check.status === 'ok');
    return c.json(
      {
        status: ok ? 'ok' : 'fail',
        worker_id: deps.workerId,
        sessions: sessions.length,
        capacity: deps.manager.capacity,
        draining: deps.manager.draining,
        sessions_by_status: byStatus,
        checks,
      },
      ok ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    const { metrics, manager, events } = deps;
    metrics.sessionsByState.reset();
    let reconnects = 0;
    for (const s of manager.sessions()) {
      metrics.sessionsByState.inc({ state: s.status });
      reconnects += s.reconnects;
    }
    metrics.capacity.set(manager.capacity);
    metrics.reconnects.set(reconnects);
    metrics.eventsPending.set(events.pending);
    metrics.eventsDropped.set(events.dropped);
    metrics.eventPublishLag.set(events.lastLagMs / 1000);
    return c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });
  return app;
}
