// NATS killed while send commands are in flight between the gateway and the worker, and sends keep arriving
// while it is down. Every send is answered quickly: 202 (the worker took it) or 503 with Retry-After (it did
// not, or the gateway cannot know) — never the 10 s command timeout (504). Retried with its Idempotency-Key
// after NATS is back, every send ends up on the contact's phone exactly once: none lost, none doubled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type System, startSystem } from '../e2e/system.ts';
import {
  type ChildServer,
  FaultClient,
  type Linked,
  linkInstances,
  REQUEST_TIMEOUT_MS,
  startNats,
  summary,
  timeout,
  until,
} from './harness.ts';

/** "Within a few seconds", with room for a busy 2-core machine (the command timeout is 10 s). */
const QUICK_MS = 5_000;
const BURST = 12;

let nats: ChildServer;
let system: System;
let client: FaultClient;
let linked: Linked[];

describe('NATS down with commands in flight', () => {
  beforeAll(async () => {
    nats = await startNats();
    system = await startSystem({ natsUrl: nats.url });
    client = new FaultClient(system.gatewayUrls, system.apiKey);
    linked = await linkInstances(system, client, 1);
  }, timeout(120_000));
  afterAll(async () => {
    await system?.close();
    await nats?.close();
  });

  it(
    'in-flight and new sends get 202 or a quick 503 with Retry-After; retried, each arrives exactly once',
    async () => {
      const [instance] = linked;
      const tag = Math.random().toString(36).slice(2, 8);
      const sends: Array<{
        key: string;
        text: string;
        status: number;
        code?: string;
        retryAfter: string | null;
        ms: number;
      }> = [];
      const send = async (n: number) => {
        const text = `inflight ${tag} ${n}`;
        const key = `inflight-${tag}-${n}`;
        const started = Date.now();
        const res = await client.request(`/v1/instances/${instance!.id}/messages`, {
          method: 'POST',
          json: { to: instance!.contact, type: 'text', text },
          headers: { 'Idempotency-Key': key },
        });
        sends.push({
          key,
          text,
          status: res.status,
          code: res.body.error?.code,
          retryAfter: res.headers.get('Retry-After'),
          ms: Date.now() - started,
        });
      };

      // A burst on its way through NATS when the server dies (killed as soon as the worker has taken the first
      // of them, so the others are between gateway and worker), then sends while it is down.
      const worker = system.services.find((s) => s.name.startsWith('worker'))!;
      const commandsTaken = () => worker.output().split('"verb":"send"').length;
      const before = commandsTaken();
      const burst = Array.from({ length: BURST }, (_, n) => send(n));
      for (const deadline = Date.now() + 10_000; commandsTaken() === before; ) {
        if (Date.now() > deadline) throw new Error('the worker took no send of the burst');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await nats.stop();
      await Promise.all(burst);
      for (let n = BURST; n < BURST + 4; n++) await send(n);
      await nats.start();
      await until(
        async () => (await fetch(`${system.gatewayUrl}/readyz`)).status === 200,
        'gateway ready again',
        30_000,
      );

      const records = sends.map(({ status, code, retryAfter, ms }) => ({ status, code, retryAfter, ms }));
      expect(
        sends.filter((s) => !(s.status === 202 || (s.status === 503 && Number(s.retryAfter) > 0))),
        `answers other than 202 or 503 with Retry-After: ${JSON.stringify(summary(client.records))}`,
      ).toEqual([]);
      expect(
        sends.filter((s) => s.ms >= QUICK_MS),
        `answers that took ${QUICK_MS} ms or more`,
      ).toEqual([]);
      expect(records.filter((r) => r.ms >= REQUEST_TIMEOUT_MS)).toEqual([]);

      // The client retries every refused send with its key: each is then accepted (or was already).
      for (const s of sends.filter((x) => x.status !== 202)) {
        await until(async () => {
          const res = await client.request(`/v1/instances/${instance!.id}/messages`, {
            method: 'POST',
            json: { to: instance!.contact, type: 'text', text: s.text },
            headers: { 'Idempotency-Key': s.key },
          });
          return res.status === 200 || res.status === 202;
        }, `${s.key} accepted on retry`);
      }
      const answers = sends.map((s) => `${s.status}${s.code ? ` ${s.code}` : ''}`);
      console.info(
        `nats in flight: ${JSON.stringify(Object.fromEntries([...new Set(answers)].map((a) => [a, answers.filter((x) => x === a).length])))}, slowest ${Math.max(...sends.map((s) => s.ms))} ms`,
      );
      const copies = (text: string) =>
        system.sim.inbox(instance!.contact).filter((m) => !m.ownDeviceCopy && m.text === text).length;
      await until(() => sends.every((s) => copies(s.text) >= 1), 'every send on the phone', timeout(60_000));
      for (const s of sends) expect(copies(s.text), `copies of ${s.text}`).toBe(1);
    },
    timeout(150_000),
  );
});
