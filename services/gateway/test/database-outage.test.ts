// The gateway while Postgres cannot be reached: its connection runs through a TCP proxy this file cuts
// (connections refused) or stalls (connections accepted, nothing answered). Requests that need the database
// get a quick 503 database_unavailable with Retry-After instead of a hang, /readyz names the open breaker,
// and the gateway closes the breaker by itself once Postgres answers again.
import { startTcpProxy, type TcpProxy } from '@whatisup/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

const WAIT_MS = 300;
/** Far below the 15 s of a hang, with room for a busy machine. */
const QUICK_MS = 4_000;

let proxy: TcpProxy;
let gw: TestGateway;
let alice: { id: string; key: string };

beforeAll(async () => {
  proxy = await startTcpProxy(
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432',
    5432,
  );
  gw = await startTestGateway({
    config: { database: { waitMs: WAIT_MS, probeIntervalMs: 100 } },
    databaseUrl(url) {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      return proxied.toString();
    },
  });
  alice = await gw.customer('Alice');
});
afterEach(() => proxy.set('open'));
afterAll(async () => {
  proxy?.set('open');
  await gw?.close();
  await proxy?.close();
});

const outagesLogged = () => gw.logs.filter((line) => line.includes('database unavailable')).length;

async function timed(path: string, init: Parameters<TestGateway['request']>[1] = {}) {
  const started = Date.now();
  const res = await gw.request(path, { key: alice.key, ...init });
  return { res, body: await res.json(), ms: Date.now() - started };
}

async function readyz() {
  const res = await gw.request('/readyz');
  return { status: res.status, body: await res.json() };
}

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('database outage', () => {
  it('refused: 503 database_unavailable with Retry-After at once, /readyz names it, closes by itself', async () => {
    expect((await timed('/v1/instances')).res.status).toBe(200);
    proxy.set('refuse');

    const first = await timed('/v1/instances');
    expect(first.res.status).toBe(503);
    expect(first.body.error.code).toBe('database_unavailable');
    expect(first.body.correlation_id).toEqual(expect.any(String));
    expect(Number(first.res.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(first.ms).toBeLessThan(QUICK_MS);

    // Writes and another customer's ids are refused the same way, before anything is looked up.
    const write = await timed('/v1/instances', { method: 'POST', json: { name: 'during-outage' } });
    expect(write.res.status).toBe(503);
    expect(write.body.error.code).toBe('database_unavailable');
    const foreign = await timed('/v1/instances/ins_01jq0a3k5v7x9z2b4d6f8h0j2k');
    expect(foreign.res.status).toBe(503);
    expect(foreign.body.error.code).toBe('database_unavailable');

    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.checks.postgres.status).toBe('fail');
    expect(down.body.checks.postgres.breaker).toMatch(/database_unavailable/);
    expect(outagesLogged(), 'one log line for the whole outage').toBe(1);
    // The reason is the driver's, not drizzle's "Failed query: … params: …" (params may hold message text).
    expect(gw.logs.find((line) => line.includes('database unavailable'))).not.toMatch(/params/);

    proxy.set('open');
    await eventually(
      async () => (await timed('/v1/instances')).res.status === 200,
      'the API to answer again',
    );
    expect((await readyz()).body.checks.postgres).not.toHaveProperty('breaker');
    expect(gw.logs.some((line) => line.includes('database available again'))).toBe(true);
    // What was refused during the outage was not written.
    const list = await timed('/v1/instances');
    expect(list.body.data.map((i: { name: string }) => i.name)).not.toContain('during-outage');
  });

  it('stalled: a request waiting on a database that does not answer gets 503 within the bounded wait', async () => {
    expect((await timed('/v1/instances')).res.status).toBe(200);
    proxy.set('stall');
    const stalled = await Promise.all([timed('/v1/instances'), timed('/v1/audit-events')]);
    for (const { res, body, ms } of stalled) {
      expect(res.status).toBe(503);
      expect(body.error.code).toBe('database_unavailable');
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(ms).toBeLessThan(QUICK_MS);
    }
    proxy.set('open');
    await eventually(
      async () => (await timed('/v1/instances')).res.status === 200,
      'the API to answer again',
    );
  });

  it('a request slow for another reason (a worker command) does not open the breaker', async () => {
    const logged = outagesLogged();
    const created = await timed('/v1/instances', { method: 'POST', json: { name: 'slow-worker' } });
    expect(created.res.status).toBe(201);
    gw.standIn!.onCommand = async () => {
      await new Promise((resolve) => setTimeout(resolve, WAIT_MS * 3));
      return { ok: true, data: { qr: '2@slow', expires_at: '2026-11-28T10:00:30.000Z' } };
    };
    const slow = await timed(`/v1/instances/${created.body.id}/qr`);
    expect(slow.res.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(WAIT_MS);
    expect((await timed('/v1/instances')).res.status).toBe(200);
    expect(outagesLogged()).toBe(logged);
  });
});
