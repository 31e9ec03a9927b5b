// `pnpm start` with no configuration: the whole product in one process on embedded adapters (PGlite, the
// in-process bus, the in-process rate limiter), on a fresh data directory. Create an instance, pair it through
// wa-sim, send, receive signed webhooks on a local receiver; restart the process (SIGTERM, then SIGKILL) and
// find it still connected with nothing lost.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyWebhook } from '@whatisup/sdk';
import { type Simulator, startSimulator } from '@whatisup/wa-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiInit, apiFetch } from './system.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OWNER = '4917100000001';
const CONTACT = '4917100000002';

interface Hook {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; type: string; instance_id: string | null; data: Record<string, unknown> };
}

let sim: Simulator;
let receiver: Server;
let receiverUrl: string;
let cwd: string;
const hooks: Hook[] = [];
let child: ChildProcess | undefined;
let output = '';
let port: number;

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; process output:\n${output.slice(-4_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `pnpm start`'s command exactly (node --env-file-if-exists=.env scripts/start.ts) in a directory with no .env. */
async function startProduct(): Promise<{ started: string }> {
  const from = output.length;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: String(port),
    WORKER_PORT: '0',
    DELIVERY_PORT: '0',
    LOG_LEVEL: 'warn',
    WA_WEBSOCKET_URL: sim.url,
    WA_SIM_ROOT_PUBLIC_KEY: sim.rootPublicKey.toString('base64'),
    ...(sim.mediaCaPem ? { WA_SIM_CA_PEM: sim.mediaCaPem } : {}),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    MEDIA_ALLOW_PRIVATE_URLS: 'true',
    DELIVERY_SCHEDULE_MS: '0,200,400,800,1600,3200',
    QR_TIMEOUT_MS: '20000',
  };
  child = spawn(process.execPath, ['--env-file-if-exists=.env', join(ROOT, 'scripts/start.ts')], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr!.on('data', (chunk) => {
    output += String(chunk);
  });
  await waitFor(
    async () => {
      if (child?.exitCode !== null)
        throw new Error(`pnpm start exited (${child?.exitCode}):\n${output.slice(from)}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return res?.status === 200;
    },
    'the product to be ready',
    60_000,
  );
  return { started: output.slice(from) };
}

async function stopProduct(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const running = child!;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill(signal);
  await exited;
}

let apiKey = '';
const api = (path: string, init: ApiInit = {}) => apiFetch(`http://127.0.0.1:${port}`, apiKey, path, init);

beforeAll(async () => {
  sim = await startSimulator({ deliveredReceiptDelayMs: 50, readReceiptDelayMs: 50 });
  sim.createAccount(OWNER, { pushName: 'Corner Shop' });
  sim.createAccount(CONTACT, { pushName: 'Dana' });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      hooks.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  cwd = await mkdtemp(join(tmpdir(), 'wiu-standalone-'));
  port = await freePort();
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) await stopProduct('SIGTERM');
  receiver?.closeAllConnections();
  receiver?.close();
  await sim?.close();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('pnpm start, one process, no configuration', () => {
  let instanceId = '';
  let secret = '';
  const sentIds: string[] = [];

  it('first start: embedded mode, prints the dashboard and an API key once, data lands in ./data', async () => {
    const { started } = await startProduct();
    expect(started).toMatch(/embedded database/i);
    expect(started).toMatch(/in-process bus/i);
    expect(started).toMatch(/in-process rate limit/i);
    expect(started).toContain(`Dashboard: http://127.0.0.1:${port}/dashboard/`);
    const key = /API key \(shown once\): (wiu_\S+)/.exec(started);
    expect(key, started).not.toBeNull();
    apiKey = key![1]!;
    const entries = await readdir(join(cwd, 'data'));
    expect(entries).toEqual(expect.arrayContaining(['db', 'secrets.key']));
    // The key is stored hashed: it is nowhere in the data directory's files in the clear.
    const me = await api('/v1/instances');
    expect(me.status).toBe(200);
    expect(me.headers.get('RateLimit-Policy')).toBeTruthy();
  });

  it('pairs through wa-sim, sends, and delivers signed webhooks', async () => {
    const endpoint = (await (
      await api('/v1/webhook-endpoints', { method: 'POST', json: { url: receiverUrl } })
    ).json()) as {
      id: string;
      secret: string;
    };
    secret = endpoint.secret;
    const created = await api('/v1/instances', { method: 'POST', json: { name: 'shop' } });
    expect(created.status).toBe(201);
    instanceId = ((await created.json()) as { id: string }).id;
    const qr = await waitFor(async () => {
      const res = await api(`/v1/instances/${instanceId}/qr`);
      return res.status === 200 ? ((await res.json()) as { qr: string }) : undefined;
    }, 'a QR code');
    sim.scanQr(OWNER, qr.qr);
    await waitFor(async () => {
      const body = (await (await api(`/v1/instances/${instanceId}`)).json()) as { status: string };
      return body.status === 'connected';
    }, 'connected');

    const send = await api(`/v1/instances/${instanceId}/messages`, {
      method: 'POST',
      json: { to: CONTACT, type: 'text', text: 'Hello from one process' },
      headers: { 'Idempotency-Key': 'first' },
    });
    expect(send.status).toBe(202);
    sentIds.push(((await send.json()) as { id: string }).id);
    await waitFor(
      () => sim.inbox(CONTACT).find((m) => !m.ownDeviceCopy && m.text === 'Hello from one process'),
      'the text on the phone',
    );
    await sim.sendText(CONTACT, OWNER, 'Got it!');
    const received = await waitFor(
      () => hooks.find((h) => h.body.type === 'message.received'),
      'message.received',
    );
    expect(received.body.data).toMatchObject({ from: CONTACT, text: 'Got it!' });
    await waitFor(() => hooks.some((h) => h.body.type === 'message.read'), 'message.read');
    for (const hook of hooks) {
      const event = verifyWebhook(hook.raw, hook.headers as Record<string, string>, secret);
      expect(event.id).toBe(hook.body.id);
    }
  });

  it('after SIGTERM and a new start: no new key, still connected without a QR, sends and receives again', async () => {
    await stopProduct('SIGTERM');
    const { started } = await startProduct();
    expect(started).not.toMatch(/API key \(shown once\)/);
    await waitFor(async () => {
      const body = (await (await api(`/v1/instances/${instanceId}`)).json()) as { status: string };
      return body.status === 'connected';
    }, 'connected again');
    const send = await api(`/v1/instances/${instanceId}/messages`, {
      method: 'POST',
      json: { to: CONTACT, type: 'text', text: 'After a restart' },
    });
    expect(send.status).toBe(202);
    sentIds.push(((await send.json()) as { id: string }).id);
    await waitFor(
      () => sim.inbox(CONTACT).find((m) => !m.ownDeviceCopy && m.text === 'After a restart'),
      'the second text',
    );
    await sim.sendText(CONTACT, OWNER, 'Still here');
    await waitFor(() => hooks.find((h) => h.body.data.text === 'Still here'), 'the second message.received');
  });

  it('after SIGKILL mid-traffic: every accepted message reaches the phone once and every event is delivered', async () => {
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api(`/v1/instances/${instanceId}/messages`, {
          method: 'POST',
          json: { to: CONTACT, type: 'text', text: `burst ${i}` },
          headers: { 'Idempotency-Key': `burst-${i}` },
        }),
      ),
    );
    for (const res of burst) {
      const body = (await res.json()) as { id: string };
      expect(res.status, JSON.stringify(body)).toBe(202);
      sentIds.push(body.id);
    }
    await stopProduct('SIGKILL');
    await startProduct();
    for (let i = 0; i < 10; i++) {
      await waitFor(
        () => sim.inbox(CONTACT).some((m) => !m.ownDeviceCopy && m.text === `burst ${i}`),
        `burst ${i} on the phone`,
      );
    }
    // Exactly once on the phone: WhatsApp ids are fixed at acceptance, so a replay cannot show twice.
    for (let i = 0; i < 10; i++)
      expect(sim.inbox(CONTACT).filter((m) => !m.ownDeviceCopy && m.text === `burst ${i}`)).toHaveLength(1);
    // Every accepted message ends sent (or later) through the API and as a webhook.
    for (const id of sentIds) {
      await waitFor(async () => {
        const body = (await (await api(`/v1/instances/${instanceId}/messages/${id}`)).json()) as {
          status: string;
        };
        return ['sent', 'delivered', 'read'].includes(body.status);
      }, `message ${id} sent`);
      await waitFor(
        () => hooks.some((h) => h.body.type === 'message.sent' && h.body.data.message_id === id),
        `message.sent webhook for ${id}`,
      );
    }
    const events = (await (await api(`/v1/webhook-deliveries?status=failed`)).json()) as { data: unknown[] };
    expect(events.data).toHaveLength(0);
  });

  it('with DATABASE_URL, REDIS_URL and NATS_URL set, the same command runs on the cluster services and says so', async () => {
    await stopProduct('SIGTERM');
    const { createTestDatabase } = await import('@whatisup/db/testing');
    const { connectNatsBus } = await import('@whatisup/bus');
    const database = await createTestDatabase();
    const other = await mkdtemp(join(tmpdir(), 'wiu-standalone-cluster-'));
    const natsPrefix = `s${randomBytes(4).toString('hex')}`;
    const clusterPort = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: String(clusterPort),
      WORKER_PORT: '0',
      DELIVERY_PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${natsPrefix}:`,
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_PREFIX: natsPrefix,
    };
    let text = '';
    const collect = (c: Buffer) => {
      text += String(c);
    };
    const check = spawn(process.execPath, [join(ROOT, 'scripts/start.ts'), '--check'], { cwd: other, env });
    check.stdout.on('data', collect);
    check.stderr.on('data', collect);
    expect(await new Promise((resolve) => check.once('exit', resolve)), text).toBe(0);
    const running = spawn(process.execPath, [join(ROOT, 'scripts/start.ts')], { cwd: other, env });
    running.stdout.on('data', collect);
    running.stderr.on('data', collect);
    try {
      expect(text).toMatch(/database: Postgres at postgres:/);
      expect(text).toMatch(/bus: NATS at nats:\/\/127\.0\.0\.1:4222/);
      expect(text).toMatch(/rate limit: Redis at redis:\/\/127\.0\.0\.1:6379/);
      const ready = await waitFor(
        async () => {
          if (running.exitCode !== null) throw new Error(`exited:\n${text}`);
          const res = await fetch(`http://127.0.0.1:${clusterPort}/readyz`).catch(() => undefined);
          return res?.status === 200
            ? ((await res.json()) as { checks: Record<string, { embedded?: string }> })
            : undefined;
        },
        'the cluster-mode product to be ready',
        60_000,
      );
      for (const check of Object.values(ready.checks)) expect(check.embedded).toBeUndefined();
      const key = /API key \(shown once\): (wiu_\S+)/.exec(text)?.[1];
      expect(key, text).toBeDefined();
      const listed = await fetch(`http://127.0.0.1:${clusterPort}/v1/instances`, {
        headers: { Authorization: `Bearer ${key}` },
      });
      expect(listed.status).toBe(200);
      // No embedded database was created: everything went to the cluster services.
      expect(await readdir(join(other, 'data')).catch(() => [])).not.toContain('db');
    } finally {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
      const bus = await connectNatsBus({ url: 'nats://127.0.0.1:4222', prefix: natsPrefix, name: 'cleanup' });
      for (const stream of await bus.jsm.streams.names().next())
        if (stream.includes(natsPrefix)) await bus.jsm.streams.delete(stream).catch(() => {});
      await bus.close();
      await database.drop();
      await rm(other, { recursive: true, force: true });
    }
  });
});
