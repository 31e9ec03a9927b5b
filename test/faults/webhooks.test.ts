// Webhook receivers that hang, reset connections, answer 500s or answer slowly, while sends and inbound
// messages flow: the healthy endpoint keeps getting every event promptly (one endpoint cannot starve others),
// the slow one still gets everything, and the broken ones' deliveries end `failed` with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReceiverBehaviour, type System, startSystem } from '../e2e/system.ts';
import {
  assertClearErrors,
  assertEndState,
  FAULT_MS,
  FaultClient,
  type Linked,
  linkInstances,
  startTraffic,
  timeout,
  trafficFor,
  until,
} from './harness.ts';

const BAD: Record<string, ReceiverBehaviour> = {
  '/hang': 'hang',
  '/reset': 'reset',
  '/error': 'error',
  '/slow': 'slow',
};

let system: System;
let client: FaultClient;
let linked: Linked[];
const endpoints = new Map<string, string>();
beforeAll(async () => {
  system = await startSystem({ slowMs: 1_500, deliveryEnv: { DELIVERY_RESPONSE_TIMEOUT_MS: '5000' } });
  client = new FaultClient(system.gatewayUrls, system.apiKey);
  for (const path of ['/hooks', ...Object.keys(BAD)]) {
    const res = await client.request('/v1/webhook-endpoints', {
      method: 'POST',
      json: { url: system.receiverPath(path) },
    });
    expect(res.status).toBe(201);
    endpoints.set(path, res.body.id as string);
  }
  linked = await linkInstances(system, client, 2);
}, timeout(120_000));
afterAll(() => system?.close());

describe('misbehaving webhook receivers', () => {
  it(
    'hang, reset, 500 and slow endpoints do not hold up the healthy one',
    async () => {
      for (const [path, behaviour] of Object.entries(BAD)) system.setReceiverBehaviour(path, behaviour);
      const from = client.records.length;
      const traffic = startTraffic(system, client, linked);
      await trafficFor(traffic, FAULT_MS * 2, 4);
      await traffic.stop();

      assertClearErrors(client.since(from));
      await assertEndState(system, client, traffic, '/hooks');
      // Fairness: each inbound text reached the healthy endpoint within seconds, whatever the others did.
      const latencies = traffic.inbound.map((sent) => {
        const hook = system.webhooks.find(
          (w) => w.path === '/hooks' && w.body.type === 'message.received' && w.body.data.text === sent.text,
        )!;
        return hook.receivedAt - sent.sentAt;
      });
      expect(Math.max(...latencies)).toBeLessThan(3_000);
      await assertEndState(system, client, traffic, '/slow');

      // Broken endpoints spend their attempts and end `failed` with the reason.
      for (const path of ['/error', '/reset']) {
        const failed = await until(
          async () => {
            const res = await client.request(
              `/v1/webhook-deliveries?status=failed&endpoint_id=${endpoints.get(path)}&limit=1`,
            );
            const data = res.body.data as Array<{
              last_error: string | null;
              last_response_status: number | null;
            }>;
            return data[0];
          },
          `a failed delivery to ${path}`,
          timeout(60_000),
        );
        if (path === '/error') expect(failed.last_response_status).toBe(500);
        else expect(failed.last_error).toBeTruthy();
      }
      // A hanging endpoint's attempts end at the response timeout, recorded as such (each one costs 5 s here).
      const timedOut = await until(async () => {
        const res = await client.request(
          `/v1/webhook-deliveries?endpoint_id=${endpoints.get('/hang')}&limit=100`,
        );
        const data = res.body.data as Array<{ attempts: number; last_error: string | null }>;
        return data.find((d) => d.attempts > 0 && d.last_error);
      }, 'a timed-out attempt to /hang');
      expect(timedOut.last_error).toBeTruthy();
    },
    timeout(150_000),
  );
});
