// SIGKILL of the session worker while inbound messages flow and sends are attempted: while it is gone the API
// answers 503 instance_unavailable with Retry-After; restarted on its volume it resumes every session without a
// QR, the inbound messages WhatsApp held for it arrive, and nothing accepted is lost.
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
  summary,
  timeout,
  trafficFor,
  until,
  waitConnected,
} from './harness.ts';

let system: System;
let client: FaultClient;
let linked: Linked[];
beforeAll(async () => {
  system = await startSystem();
  client = new FaultClient(system.gatewayUrls, system.apiKey);
  const endpoint = await client.request('/v1/webhook-endpoints', {
    method: 'POST',
    json: { url: system.receiverUrl },
  });
  expect(endpoint.status).toBe(201);
  linked = await linkInstances(system, client, 2);
}, timeout(120_000));
afterAll(() => system?.close());

describe('worker crash', () => {
  it(
    'SIGKILL of the worker between sends: 503 instance_unavailable while gone, sessions resume without a QR',
    async () => {
      const worker = system.services.find((s) => s.name.startsWith('worker'))!;
      const from = client.records.length;
      const traffic = startTraffic(system, client, linked);
      await trafficFor(traffic, 500, 2);
      await traffic.pause('sends');
      await until(
        () =>
          [...traffic.accepted.values()].every((m) =>
            system.sim.inbox(m.to).some((p) => !p.ownDeviceCopy && p.text === m.text),
          ),
        'the sends accepted so far on the phone',
      );
      await worker.stop('SIGKILL');
      traffic.resume('sends');
      await trafficFor(traffic, FAULT_MS);
      const qrsBefore = system.webhooks.filter((w) => w.body.type === 'qr.updated').length;
      await worker.start();
      for (const instance of linked) await waitConnected(client, instance.id);
      await trafficFor(traffic, 1_000, 2);
      await traffic.stop();

      const during = client.since(from);
      expect(
        during.some((r) => r.code === 'instance_unavailable'),
        JSON.stringify(summary(during)),
      ).toBe(true);
      assertClearErrors(during);
      await assertEndState(system, client, traffic);
      expect(system.webhooks.filter((w) => w.body.type === 'qr.updated').length).toBe(qrsBefore);
      await assertRecovered(system, client, linked[0]!);
    },
    timeout(120_000),
  );
});
