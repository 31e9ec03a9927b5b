// The WhatsApp side fails while sends and inbound messages flow: wa-sim drops every socket at once, and
// wa-sim refuses logins for a while. Every instance comes back by itself, without a new QR.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../e2e/system.ts';
import {
  FAULT_MS,
  faultUnderTraffic,
  inboundSettled,
  type Linked,
  type Scenario,
  startScenario,
  type Traffic,
  timeout,
  trafficFor,
  until,
  waitConnected,
} from './harness.ts';

let scenario: Scenario;
let system: System;
let linked: Linked[];
beforeAll(async () => {
  scenario = await startScenario({
    workers: { 'worker-0': { RECONNECT_BASE_MS: '200', RECONNECT_MAX_MS: '1000', RECONNECT_BUDGET: '1000' } },
  });
  ({ system, linked } = scenario);
}, timeout(120_000));
afterAll(() => system?.close());

const qrCount = () => system.webhooks.filter((w) => w.body.type === 'qr.updated').length;
const disconnects = (id: string) =>
  system.webhooks.filter((w) => w.body.type === 'instance.disconnected' && w.body.instance_id === id).length;

/**
 * wa-sim counts a stanza as delivered once written to an open socket and never redelivers it (WhatsApp keeps a
 * message until the device acks it), so a message on the wire at the instant of the drop would be lost by the
 * simulator, not by us: the drop happens between inbound messages. Messages sent while the instances are
 * offline are held by wa-sim and must all arrive after the reconnect.
 */
async function dropAllBetweenInboundMessages(traffic: Traffic) {
  await traffic.pause('inbound');
  await until(() => inboundSettled(system, traffic), 'the inbound messages so far as webhooks');
  expect(system.sim.dropAll()).toBeGreaterThanOrEqual(linked.length);
  traffic.resume('inbound');
}

describe('WhatsApp faults under traffic', () => {
  it(
    'wa-sim drops every socket at once: every instance reconnects without a QR',
    async () => {
      const qrs = qrCount();
      const before = linked.map((instance) => disconnects(instance.id));
      await faultUnderTraffic(scenario, async (traffic) => {
        await dropAllBetweenInboundMessages(traffic);
        await until(
          () => linked.every((instance, i) => disconnects(instance.id) > before[i]!),
          'instance.disconnected for every instance',
        );
        for (const instance of linked) await waitConnected(scenario.client, instance.id);
        await trafficFor(traffic, 1_000);
      });
      expect(qrCount()).toBe(qrs);
    },
    timeout(120_000),
  );

  it(
    'wa-sim refuses logins for a while: instances retry with backoff and connect after, without a QR',
    async () => {
      const qrs = qrCount();
      const { client } = scenario;
      await faultUnderTraffic(
        scenario,
        async (traffic) => {
          const refusedUntil = Date.now() + FAULT_MS;
          system.sim.refuseLogins(FAULT_MS);
          await dropAllBetweenInboundMessages(traffic);
          await until(
            async () =>
              (await Promise.all(linked.map((i) => client.request(`/v1/instances/${i.id}`)))).every(
                (res) => res.body.status !== 'connected',
              ),
            'every instance disconnected',
          );
          for (const instance of linked) await waitConnected(client, instance.id);
          expect(Date.now()).toBeGreaterThanOrEqual(refusedUntil);
          await trafficFor(traffic, 1_000);
        },
        { recover: linked[1]! },
      );
      expect(qrCount()).toBe(qrs);
    },
    timeout(120_000),
  );
});
