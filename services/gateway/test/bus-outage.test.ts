// The gateway while NATS cannot be reached: its bus connection runs through a TCP proxy this file cuts (the
// stand-in worker keeps its own, direct connection). A command in flight when the connection drops and
// every command sent while it is down get a quick 503 instance_unavailable with Retry-After (never a
// 10 s wait ending in 504), /readyz reports the bus, and commands work again once NATS is back.
import { startTcpProxy, type TcpProxy } from '@whatisup/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NATS_URL, startTestGateway, type TestGateway } from './harness.ts';

/** The command timeout a hang would wait for. */
const COMMAND_TIMEOUT_MS = 10_000;
/** Far below the command timeout, with room for a busy machine. */
const QUICK_MS = 4_000;

let proxy: TcpProxy;
let gw: TestGateway;
let alice: { id: string; key: string };

beforeAll(async () => {
  proxy = await startTcpProxy(NATS_URL, 4222);
  gw = await startTestGateway({ natsUrl: proxy.url, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  alice = await gw.customer('Alice');
});
afterAll(async () => {
  proxy?.set('open');
  await gw?.close();
  await proxy?.close();
});

async function createInstance(): Promise<string> {
  const res = await gw.request('/v1/instances', {
    method: 'POST',
    key: alice.key,
    json: { name: 'bus-outage' },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

describe('NATS unreachable', () => {
  it('a command in flight and commands sent while it is down get a quick 503; back to normal after', async () => {
    const id = await createInstance();
    // The worker holds the command without answering, so it is in flight when the connection drops.
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    gw.standIn!.onCommand = () => {
      received();
      return 'no_reply';
    };
    const started = Date.now();
    const inFlight = gw.request(`/v1/instances/${id}/restart`, { method: 'POST', key: alice.key });
    await arrived;
    proxy.set('refuse');
    const res = await inFlight;
    expect(Date.now() - started).toBeLessThan(QUICK_MS);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect((await res.json()).error.code).toBe('instance_unavailable');

    for (const [method, path] of [
      ['GET', 'qr'],
      ['POST', 'logout'],
      ['POST', 'restart'],
    ] as const) {
      const begun = Date.now();
      const down = await gw.request(`/v1/instances/${id}/${path}`, { method, key: alice.key });
      expect(Date.now() - begun, path).toBeLessThan(QUICK_MS);
      expect(down.status, path).toBe(503);
      expect(Number(down.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect((await down.json()).error.code).toBe('instance_unavailable');
    }

    const ready = await gw.request('/readyz');
    expect(ready.status).toBe(503);
    expect((await ready.json()).checks.nats.status).toBe('fail');

    proxy?.set('open');
    gw.standIn!.onCommand = () => ({
      ok: true,
      data: { status: 'connected', phone: null, push_name: null, last_error: null, worker_id: 'stand-in' },
    });
    await expect
      .poll(
        async () =>
          (await gw.request(`/v1/instances/${id}/restart`, { method: 'POST', key: alice.key })).status,
        { timeout: 20_000, interval: 500 },
      )
      .toBe(200);
  });

  it('creating an instance while NATS is down is a quick 503, not a hang', async () => {
    proxy.set('refuse');
    try {
      const begun = Date.now();
      const res = await gw.request('/v1/instances', {
        method: 'POST',
        key: alice.key,
        json: { name: 'down' },
      });
      expect(Date.now() - begun).toBeLessThan(QUICK_MS);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
    } finally {
      proxy?.set('open');
    }
  });
});
