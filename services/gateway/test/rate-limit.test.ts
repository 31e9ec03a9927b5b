import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, setRateLimit } from '../src/admin/operations.ts';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ config: { rateLimit: { burst: 60, perSecond: 1 } } });
});
afterAll(() => gw.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('per-customer token bucket', () => {
  it('default bucket: a burst of 61 gets exactly one 429 with Retry-After 1 and RateLimit headers', async () => {
    const alice = await gw.customer();
    const responses = await Promise.all(
      Array.from({ length: 61 }, () => gw.request('/v1/instances', { key: alice.key })),
    );
    const limited = responses.filter((r) => r.status === 429);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(60);
    expect(limited).toHaveLength(1);
    const refused = limited[0]!;
    expect(refused.headers.get('Retry-After')).toBe('1');
    expect(refused.headers.get('RateLimit-Policy')).toBe('"default";q=60;w=60');
    expect(refused.headers.get('RateLimit')).toMatch(/^"default";r=0;t=\d+$/);
    const body = await refused.json();
    expect(body.error.code).toBe('rate_limited');
    expect(body.correlation_id).toBe(refused.headers.get('X-Correlation-Id'));

    const ok = responses.find((r) => r.status === 200)!;
    expect(ok.headers.get('RateLimit-Policy')).toBe('"default";q=60;w=60');
    expect(ok.headers.get('RateLimit')).toMatch(/^"default";r=\d+;t=\d+$/);
  });

  it('refills continuously: after Retry-After a token is there again', async () => {
    const alice = await gw.customer();
    await setRateLimit(gw.db, alice.id, { burst: 2, perSecond: 5 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await gw.request('/v1/instances', { key: alice.key })).status);
    expect(statuses).toEqual([200, 200, 429]);
    await sleep(250);
    expect((await gw.request('/v1/instances', { key: alice.key })).status).toBe(200);
  });

  it('Retry-After is the whole seconds until a token exists for a slow bucket', async () => {
    const alice = await gw.customer();
    await setRateLimit(gw.db, alice.id, { burst: 1, perSecond: 0.1 });
    expect((await gw.request('/v1/instances', { key: alice.key })).status).toBe(200);
    const refused = await gw.request('/v1/instances', { key: alice.key });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(9);
    expect(Number(refused.headers.get('Retry-After'))).toBeLessThanOrEqual(10);
    expect(refused.headers.get('RateLimit-Policy')).toBe('"default";q=1;w=10');
  });

  it('per-customer overrides apply, and refused requests do not spend tokens', async () => {
    const alice = await gw.customer();
    await setRateLimit(gw.db, alice.id, { burst: 3, perSecond: 0.01 });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await gw.request('/v1/instances', { key: alice.key })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const bob = await gw.customer();
    expect((await gw.request('/v1/instances', { key: bob.key })).headers.get('RateLimit-Policy')).toBe(
      '"default";q=60;w=60',
    );
  });

  it('two API keys of one customer share one bucket', async () => {
    const alice = await gw.customer();
    await setRateLimit(gw.db, alice.id, { burst: 4, perSecond: 0.01 });
    const second = await createApiKey(gw.db, alice.id, 'second');
    const statuses = [];
    for (const key of [alice.key, second.key, alice.key, second.key, alice.key, second.key]) {
      statuses.push((await gw.request('/v1/instances', { key })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('200 concurrent requests over separate connections never admit more than the bucket allows', async () => {
    const alice = await gw.customer();
    const server = serve({ fetch: gw.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/v1/instances',
            agent: false,
            headers: { Authorization: `Bearer ${alice.key}` },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: 200 }, get));
    const elapsedSeconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => server.close(resolve));
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(admitted).toBeGreaterThanOrEqual(60);
    expect(admitted).toBeLessThanOrEqual(60 + Math.floor(elapsedSeconds * 1));
  });
});

describe('when Redis is unreachable', () => {
  it('/readyz is 503 naming redis, and the API keeps answering with local buckets and headers', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => {});
    const degraded = await startTestGateway({
      redis: deadRedis,
      config: { rateLimit: { burst: 2, perSecond: 0.01 } },
    });
    try {
      const ready = await degraded.request('/readyz');
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body.status).toBe('fail');
      expect(body.checks.redis.status).toBe('fail');
      expect(body.checks.postgres.status).toBe('ok');
      expect(body.checks.nats.status).toBe('ok');
      // The Kubernetes readiness probe keeps the replica in service: rate limiting degrades, the API stays up.
      const serving = await degraded.request('/readyz?scope=serving');
      expect(serving.status).toBe(200);
      expect((await serving.json()).checks.redis.status).toBe('fail');

      const alice = await degraded.customer();
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await degraded.request('/v1/instances', { key: alice.key })).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(degraded.logs.some((line) => line.includes('Redis unreachable, using local buckets'))).toBe(
        true,
      );
    } finally {
      deadRedis.disconnect();
      await degraded.close();
    }
  });

  it('/readyz is 200 with each check and its latency when everything is up', async () => {
    const res = await gw.request('/readyz');
    expect(res.status).toBe(200);
    const body = await res.json();
    for (const name of ['postgres', 'redis', 'nats']) {
      expect(body.checks[name]).toMatchObject({ status: 'ok', latency_ms: expect.any(Number) });
    }
    expect((await gw.request('/healthz')).status).toBe(200);
  });
});
