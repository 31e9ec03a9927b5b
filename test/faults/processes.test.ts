// SIGKILL of a stateless process while sends and inbound messages flow: the delivery service (restarted) and
// one of two gateway replicas (the client fails over). The worker's crash is in worker-crash.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAULT_MS,
  faultUnderTraffic,
  type Scenario,
  startScenario,
  timeout,
  trafficFor,
  until,
} from './harness.ts';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await startScenario({ gateways: 2, deliveryEnv: { DELIVERY_ACK_WAIT_MS: '5000' } });
}, timeout(120_000));
afterAll(() => scenario?.system.close());

describe('process crashes under traffic', () => {
  it(
    'SIGKILL of the delivery service: nothing accepted or produced is lost, webhooks resume after restart',
    async () => {
      const { system } = scenario;
      await faultUnderTraffic(
        scenario,
        async (traffic) => {
          await system.delivery.stop('SIGKILL');
          await trafficFor(traffic, FAULT_MS);
          await system.delivery.start();
          await trafficFor(traffic, 500);
        },
        { recover: scenario.linked[1]! },
      );
    },
    timeout(120_000),
  );

  it(
    'SIGKILL of one of two gateway replicas: the client fails over, the replica comes back',
    async () => {
      const first = scenario.system.gateways[0]!;
      await faultUnderTraffic(
        scenario,
        async (traffic) => {
          await first.stop('SIGKILL');
          const acceptedAtKill = traffic.accepted.size;
          await trafficFor(traffic, FAULT_MS);
          expect(traffic.accepted.size).toBeGreaterThan(acceptedAtKill);
          await first.start();
          await until(
            async () => (await fetch(`${first.url}/readyz`)).status === 200,
            'the replica ready again',
          );
          await trafficFor(traffic, 500);
        },
        { allowFailover: true },
      );
    },
    timeout(120_000),
  );
});
