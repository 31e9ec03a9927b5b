// The service's HTTP surface and its configuration.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEnv } from '../src/env.ts';
import { createHttpApp } from '../src/http.ts';
import { createWorld, type Receiver, startReceiver, type World, waitFor } from './fixture.ts';

type ReadyBody = { status: string; checks: Record<string, { ok: boolean; detail?: string }> };

describe('http', () => {
  let world: World;
  let receiver: Receiver;
  beforeEach(async () => {
    world = await createWorld();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await world.close();
    await receiver.close();
  });

  it('answers /healthz, /readyz with its checks, and /metrics in Prometheus text', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = (_r, count) => ({ status: count === 0 ? 500 : 200 });
    const service = await world.start();
    const app = createHttpApp(service);
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });

    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as ReadyBody;
    expect(body.status).toBe('ready');
    expect(body.checks.postgres!.ok).toBe(true);
    expect(body.checks.jetstream!.detail).toMatch(/delivery_fanout: 0 pending/);

    await world.db.sql`update webhook_endpoints set paused_at = now() where id = ${endpoint.id}`;
    await world.publish(customer);
    await waitFor(async () => (await world.db.sql`select 1 from webhook_deliveries`).length === 1);
    let metrics = await (await app.request('/metrics')).text();
    expect(metrics).toContain(`whatisup_webhook_queue_depth{endpoint_id="${endpoint.id}"} 1`);
    expect(metrics).toMatch(
      new RegExp(`whatisup_webhook_oldest_pending_seconds\\{endpoint_id="${endpoint.id}"\\} [0-9.]+`),
    );
    expect(metrics).toMatch(/whatisup_delivery_consumer_lag\{consumer="delivery_fanout",state="pending"\} 0/);

    await world.db.sql`update webhook_endpoints set paused_at = null`;
    await waitFor(() => receiver.received.length === 2);
    await waitFor(
      async () =>
        (await world.db.sql`select 1 from webhook_deliveries where status = 'delivered'`).length === 1,
    );
    metrics = await (await app.request('/metrics')).text();
    expect(metrics).toContain('whatisup_webhook_deliveries_total{outcome="retry"} 1');
    expect(metrics).toContain('whatisup_webhook_deliveries_total{outcome="delivered"} 1');
    expect(metrics).toContain('whatisup_webhook_attempts_total{result="http_status"} 1');
    expect(metrics).toMatch(/whatisup_webhook_attempt_duration_seconds_count 2/);
    expect(metrics).toMatch(/whatisup_delivery_events_total\{consumer="fanout"\} 1/);
  });

  it('/readyz answers 503 naming the failed check when Postgres is gone', async () => {
    const service = await world.start();
    const app = createHttpApp({
      metrics: service.metrics,
      ready: async () => ({
        ready: false,
        checks: { postgres: { ok: false, detail: 'connection refused', ms: 1 } },
      }),
    });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(((await res.json()) as ReadyBody).checks.postgres!.detail).toBe('connection refused');
  });
});

describe('configuration', () => {
  const base = { SECRETS_KEY: 'x' };

  it('has production defaults: six attempts, 5 s connect, 15 s response, private targets refused', () => {
    const env = parseEnv(base);
    expect(env.DELIVERY_SCHEDULE_MS).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000]);
    expect(env.DELIVERY_JITTER).toBe(0.2);
    expect(env.DELIVERY_CONNECT_TIMEOUT_MS).toBe(5_000);
    expect(env.DELIVERY_RESPONSE_TIMEOUT_MS).toBe(15_000);
    expect(env.WEBHOOK_ALLOW_PRIVATE_TARGETS).toBe(false);
  });

  it('reads a schedule in milliseconds', () => {
    expect(parseEnv({ ...base, DELIVERY_SCHEDULE_MS: '0, 50,100' }).DELIVERY_SCHEDULE_MS).toEqual([
      0, 50, 100,
    ]);
  });

  it.each([
    ['DELIVERY_SCHEDULE_MS', '0,abc', /comma-separated/],
    ['DELIVERY_SCHEDULE_MS', '100,200', /first value must be 0/],
    ['DELIVERY_SCHEDULE_MS', '0,-5', /comma-separated/],
    ['DELIVERY_JITTER', '2', /DELIVERY_JITTER/],
    ['DELIVERY_LEASE_MS', '10000', /longest an attempt can take/],
    ['WEBHOOK_ALLOW_PRIVATE_TARGETS', 'yes', /WEBHOOK_ALLOW_PRIVATE_TARGETS/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => parseEnv({ ...base, [name]: value })).toThrow(message);
  });

  it('requires SECRETS_KEY', () => {
    expect(() => parseEnv({})).toThrow(/SECRETS_KEY/);
  });
});
