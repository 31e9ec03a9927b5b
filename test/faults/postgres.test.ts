// Postgres stopped (immediate shutdown: every connection dies) and started again ~10 s later while sends and
// inbound messages flow. The server is this file's own child (initdb into a temp dir), so the machine's shared
// Postgres and the other test files never notice. While it is down the gateway answers what needs the
// database with a quick 503 database_unavailable + Retry-After and /readyz names it; the delivery service
// holds events in JetStream (nothing acknowledged before it is written) and resumes by itself afterwards.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { System } from '../e2e/system.ts';
import {
  type ApiRecord,
  type ChildServer,
  faultUnderTraffic,
  type Scenario,
  SOAK,
  startPostgres,
  startScenario,
  summary,
  timeout,
  trafficFor,
  until,
} from './harness.ts';

/** How long Postgres stays down. */
const OUTAGE_MS = SOAK ? 30_000 : 10_000;
/** "Within a couple of seconds", with room for a busy 2-core machine. */
const FAST_MS = 5_000;

let postgres: ChildServer;
let scenario: Scenario;
let system: System;

/** A service's /readyz; a connection error (a keep-alive socket the server just closed) reads as status 0. */
async function readiness(url: string) {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) });
    return {
      status: res.status,
      body: (await res.json()) as { checks: Record<string, { status?: string; ok?: boolean }> },
    };
  } catch {
    return { status: 0, body: { checks: {} } };
  }
}

beforeAll(async () => {
  postgres = await startPostgres();
  scenario = await startScenario({
    databaseServerUrl: postgres.url,
    // A claim whose reply died with the connection (committed, never heard of) is sent once its lease runs
    // out: 15 s here instead of 60 s, so that the end-state check does not wait a minute for it.
    deliveryEnv: {
      DELIVERY_LEASE_MS: '15000',
      DELIVERY_CONNECT_TIMEOUT_MS: '2000',
      DELIVERY_RESPONSE_TIMEOUT_MS: '5000',
    },
  });
  system = scenario.system;
}, timeout(120_000));
afterAll(async () => {
  await system?.close();
  await postgres?.close();
});

describe('Postgres outage under traffic', () => {
  it(
    'Postgres restarted: quick 503 database_unavailable while down, nothing lost, everything flows again',
    async () => {
      onTestFailed(() => {
        for (const service of system.services) {
          const { exitCode, signalCode } = service.child;
          console.error(
            `--- ${service.name} (exit ${exitCode ?? '-'}, signal ${signalCode ?? '-'}):\n${service.output().slice(-4_000)}`,
          );
        }
      });
      let during: ApiRecord[] = [];
      let readyAfterMs = 0;
      await faultUnderTraffic(scenario, async (traffic) => {
        await postgres.stop();
        const outage = scenario.client.records.length;
        const down = Date.now();
        await until(async () => {
          const ready = await readiness(system.gatewayUrl);
          return ready.status === 503 && ready.body.checks.postgres?.status === 'fail';
        }, 'gateway /readyz to report postgres failing');
        await until(async () => {
          const ready = await readiness(system.delivery.url);
          return ready.status === 503 && ready.body.checks.postgres?.ok === false;
        }, 'delivery /readyz to report postgres failing');
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - down))));
        during = scenario.client.since(outage);
        await postgres.start();
        const restarted = Date.now();
        await until(async () => (await readiness(system.gatewayUrl)).status === 200, 'gateway ready again');
        await until(
          async () => (await readiness(system.delivery.url)).status === 200,
          'delivery ready again',
        );
        readyAfterMs = Date.now() - restarted;
        await trafficFor(traffic, 1_000, 4);
      });

      const unavailable = during.filter((r) => r.status === 503 && r.code === 'database_unavailable');
      expect(
        unavailable.length,
        `answers with 503 database_unavailable during the outage: ${JSON.stringify(summary(during))}`,
      ).toBeGreaterThan(0);
      const slow = during.filter((r) => r.ms >= FAST_MS);
      expect(slow, `answers during the outage that took ${FAST_MS} ms or more`).toEqual([]);
      console.info(
        `postgres outage: ${during.length} answers while down (${unavailable.length} database_unavailable, ` +
          `slowest ${Math.max(...during.map((r) => r.ms))} ms); ready ${readyAfterMs} ms after restart`,
      );
    },
    timeout(180_000),
  );
});
