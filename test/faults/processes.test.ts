// SIGKILL of a stateless process while sends and inbound messages flow: the delivery service (restarted) and
// one of two gateway replicas (the client fails over). The worker's crash is in worker-crash.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type System, startSystem } from '../e2e/system.ts';
import {
  assertClearErrors,
  assertEndState,
  assertRecovered,
  FAULT_MS,
  FaultClient,
  type Linked,
  linkInstances,
  startTraffic,
  timeout,
  trafficFor,
  until,
} from './harness.ts';

let system: System;
let client: FaultClient;
let linked: Linked[];
beforeAll(async () => {
  system = await startSystem({ gateways: 2, deliveryEnv: { DELIVERY_ACK_WAIT_MS: '5000' } });
  client = new FaultClient(system.gatewayUrls, system.apiKey);
  const endpoint = await client.request('/v1/webhook-endpoints', {
    method: 'POST',
    json: { url: system.receiverUrl },
  });
  expect(endpoint.status).toBe(201);
  linked = await linkInstances(system, client, 2);
}, timeout(120_000));
afterAll(() => system?.close());

describe('process crashes under traffic', () => {
  it(
    'SIGKILL of the delivery service: nothing accepted or produced is lost, webhooks resume after restart',
    async () => {
      const from = client.records.length;
      const traffic = startTraffic(system, client, linked);
      await trafficFor(traffic, 500, 2);
      await system.delivery.stop('SIGKILL');
      await trafficFor(traffic, FAULT_MS);
      await system.delivery.start();
      await trafficFor(traffic, 500);
      await traffic.stop();

      assertClearErrors(client.since(from));
      await assertEndState(system, client, traffic);
      await assertRecovered(system, client, linked[1]!);
    },
    timeout(120_000),
  );

  it(
    'SIGKILL of one of two gateway replicas: the client fails over, the replica comes back',
    async () => {
      const [first] = system.gateways;
      const from = client.records.length;
      const traffic = startTraffic(system, client, linked);
      await trafficFor(traffic, 500, 2);
      await first!.stop('SIGKILL');
      const acceptedAtKill = traffic.accepted.size;
      await trafficFor(traffic, FAULT_MS);
      expect(traffic.accepted.size).toBeGreaterThan(acceptedAtKill);
      await first!.start();
      await until(
        async () => (await fetch(`${first!.url}/readyz`)).status === 200,
        'the replica ready again',
      );
      await trafficFor(traffic, 500);
      await traffic.stop();

      assertClearErrors(client.since(from), true);
      await assertEndState(system, client, traffic);
      await assertRecovered(system, client, linked[0]!);
    },
    timeout(120_000),
  );
});
