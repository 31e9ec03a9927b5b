// SIGKILL of the session worker while inbound messages flow and sends are attempted: while it is gone the API
// answers 503 instance_unavailable with Retry-After; restarted on its volume it resumes every session without a
// QR, the inbound messages WhatsApp held for it arrive, and nothing accepted is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAULT_MS,
  faultUnderTraffic,
  type Scenario,
  startScenario,
  summary,
  timeout,
  trafficFor,
  until,
  waitConnected,
} from './harness.ts';

let scenario: Scenario;
beforeAll(async () => {
  scenario = await startScenario();
}, timeout(120_000));
afterAll(() => scenario?.system.close());

describe('worker crash', () => {
  it(
    'SIGKILL of the worker between sends: 503 instance_unavailable while gone, sessions resume without a QR',
    async () => {
      const { system, client, linked } = scenario;
      const worker = system.services.find((s) => s.name.startsWith('worker'))!;
      const qrs = () => system.webhooks.filter((w) => w.body.type === 'qr.updated').length;
      let qrsBefore = 0;
      const during = await faultUnderTraffic(scenario, async (traffic) => {
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
        qrsBefore = qrs();
        await worker.start();
        for (const instance of linked) await waitConnected(client, instance.id);
        await trafficFor(traffic, 1_000, 2);
      });
      expect(
        during.some((r) => r.code === 'instance_unavailable'),
        JSON.stringify(summary(during)),
      ).toBe(true);
      expect(qrs()).toBe(qrsBefore);
    },
    timeout(120_000),
  );
});
