// The delivery service's own HTTP surface: liveness, readiness and Prometheus metrics.
import { Hono } from 'hono';
import type { DeliveryService } from './service.ts';

export function createHttpApp(service: Pick<DeliveryService, 'ready' | 'metrics'>): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const report = await service.ready();
    return c.json(
      { status: report.ready ? 'ready' : 'not_ready', checks: report.checks },
      report.ready ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    const body = await service.metrics.registry.metrics();
    return c.body(body, 200, { 'content-type': service.metrics.registry.contentType });
  });
  return app;
}
