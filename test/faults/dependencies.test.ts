// The servers the product depends on fail while sends and inbound messages flow: Redis stopped and started
// again, NATS restarted (JetStream store kept). Both are this file's own children (redis-server,
// nats-server -js), so the machine's shared servers and the other test files never notice.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../e2e/system.ts';
import {
  type ChildServer,
  FAULT_MS,
  faultUnderTraffic,
  type Scenario,
  startNats,
  startRedis,
  startScenario,
  timeout,
  trafficFor,
  until,
} from './harness.ts';

let redis: ChildServer;
let nats: ChildServer;
let scenario: Scenario;
let system: System;

async function readiness() {
  const res = await fetch(`${system.gatewayUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return {
    status: res.status,
    body: (await res.json()) as { checks: Record<string, { status: string; error?: string }> },
  };
}

beforeAll(async () => {
  redis = await startRedis();
  nats = await startNats();
  scenario = await startScenario({ natsUrl: nats.url, redisUrl: redis.url });
  system = scenario.system;
}, timeout(120_000));
afterAll(async () => {
  await system?.close();
  await Promise.all([redis?.close(), nats?.close()]);
});

describe('dependency outages under traffic', () => {
  it(
    'Redis stopped: local buckets answer with RateLimit headers, /readyz names redis; back on Redis after',
    async () => {
      const { client } = scenario;
      await faultUnderTraffic(scenario, async (traffic) => {
        await redis.stop();
        const outage = client.records.length;
        const down = await until(async () => {
          const ready = await readiness();
          return ready.status === 503 && ready.body.checks.redis?.status === 'fail' ? ready : undefined;
        }, '/readyz to report redis failing');
        expect(down.body.checks.postgres?.status).toBe('ok');
        await trafficFor(traffic, FAULT_MS, 4);
        const duringOutage = client.since(outage).filter((r) => r.path.startsWith('/v1/'));
        expect(duringOutage.length).toBeGreaterThan(0);
        expect(duringOutage.filter((r) => !r.rateLimit)).toEqual([]);
        await redis.start();
        await until(async () => (await readiness()).status === 200, '/readyz ok again');
        await trafficFor(traffic, 500);
      });
      // Back on Redis: the shared bucket exists again.
      const direct = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await until(async () => {
          await client.request('/v1/instances?limit=1');
          return (await direct.keys(`${system.prefix}:*`)).length > 0;
        }, 'the rate-limit bucket in Redis again');
      } finally {
        direct.disconnect();
      }
    },
    timeout(120_000),
  );

  it(
    'NATS restarted: clear errors while it is down, events kept in JetStream, everything flows again',
    async () => {
      // The bus fails pending and new commands at once while NATS is down: 503s, never the 504 command timeout
      // (faultUnderTraffic's clear-errors check).
      await faultUnderTraffic(
        scenario,
        async (traffic) => {
          await nats.stop();
          await trafficFor(traffic, FAULT_MS);
          await nats.start();
          await until(async () => (await readiness()).status === 200, '/readyz ok again', 30_000);
          await trafficFor(traffic, 1_000);
        },
        { recover: scenario.linked[1]! },
      );
    },
    timeout(150_000),
  );
});
