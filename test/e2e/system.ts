// The whole product as separate processes (gateway, workers, delivery) on one isolated database and NATS
// prefix, WhatsApp played by wa-sim, and a webhook receiver on 127.0.0.1 — for end-to-end tests.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectNatsBus } from '@whatisup/bus';
import { runMigrations } from '@whatisup/db';
import { createTestDatabase, type TestDatabase } from '@whatisup/db/testing';
import { type Simulator, startSimulator } from '@whatisup/wa-sim';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** fetch's init, plus `json`: a body sent as JSON with its Content-Type. */
export type ApiInit = RequestInit & { json?: unknown };

/** One API call with a customer's key (Bearer) to the gateway at `base`. */
export function apiFetch(base: string, apiKey: string, path: string, init: ApiInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${apiKey}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return fetch(`${base}${path}`, { ...init, headers, body });
}

export interface ReceivedWebhook {
  /** The receiver path it was POSTed to (`/hooks` for `receiverUrl`). */
  path: string;
  /** Date.now() when the receiver answered it. */
  receivedAt: number;
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; type: string; instance_id: string; data: Record<string, unknown> };
}

export interface Service {
  name: string;
  /** The current process (a new one after `start()`). */
  readonly child: ChildProcess;
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again (same port, arguments and environment) once it has exited; resolves when healthy. */
  start(): Promise<void>;
}

/**
 * How the webhook receiver answers a path: `ok` (204, recorded in `webhooks`), `error` (500), `slow` (204 after
 * `slowMs`, recorded), `hang` (never answers), `reset` (destroys the connection).
 */
export type ReceiverBehaviour = 'ok' | 'error' | 'slow' | 'hang' | 'reset';

export interface SystemOptions {
  workers?: Record<string, Record<string, string>>;
  /** Gateway replicas (default 1); `gatewayUrl` is the first, `gatewayUrls` all of them. */
  gateways?: number;
  /** NATS server of every service (default NATS_URL). */
  natsUrl?: string;
  /** Redis of the gateways (default REDIS_URL). */
  redisUrl?: string;
  /**
   * A Postgres server of the test's own (e.g. one it stops and starts): the system's database is created and
   * migrated there instead of on the shared server, and goes away with that server.
   */
  databaseServerUrl?: string;
  /** Maps the test database's URL to the one the services use (e.g. through a proxy). */
  serviceDatabaseUrl?: (url: string) => string;
  gatewayEnv?: Record<string, string>;
  deliveryEnv?: Record<string, string>;
  /** How long a `slow` receiver path waits before answering (default 2000 ms). */
  slowMs?: number;
}

export interface System {
  sim: Simulator;
  prefix: string;
  database: TestDatabase;
  gatewayUrl: string;
  gatewayUrls: string[];
  gateways: Service[];
  delivery: Service;
  natsUrl: string;
  apiKey: string;
  customerId: string;
  webhooks: ReceivedWebhook[];
  receiverUrl: string;
  /** `receiverUrl` with another path, for endpoints that get their own behaviour. */
  receiverPath(path: string): string;
  setReceiverBehaviour(path: string, behaviour: ReceiverBehaviour): void;
  services: Service[];
  startWorker(workerId: string, env?: Record<string, string>): Promise<Service>;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  waitFor<T>(
    probe: () => Promise<T | undefined> | T | undefined,
    what: string,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function spawnService(
  name: string,
  cwd: string,
  args: string[],
  env: Record<string, string>,
  port: number,
): Promise<Service> {
  let child!: ChildProcess;
  let output = '';
  const url = `http://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const current = child;
    current.stdout!.on('data', (chunk) => {
      output += String(chunk);
    });
    current.stderr!.on('data', (chunk) => {
      output += String(chunk);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (current.exitCode !== null) throw new Error(`${name} exited with ${current.exitCode}:\n${output}`);
      const healthy = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.ok,
        () => false,
      );
      if (healthy) break;
      if (Date.now() > deadline) throw new Error(`${name} did not become healthy:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await start();
  return {
    name,
    get child() {
      return child;
    },
    url,
    output: () => output,
    stop(signal = 'SIGTERM') {
      const current = child;
      if (current.exitCode !== null || current.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        current.once('exit', () => resolve());
        current.kill(signal);
      });
    },
    start,
  };
}

async function privateDatabase(serverUrl: string): Promise<TestDatabase> {
  const url = new URL(serverUrl);
  url.pathname = '/whatisup_e2e';
  await runMigrations(url.toString());
  // Nothing to drop: the database lives and dies with the test's own server.
  return { url: url.toString(), name: 'whatisup_e2e', drop: async () => {} };
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const sim = await startSimulator({ qr: { refs: 5 }, deliveredReceiptDelayMs: 50, readReceiptDelayMs: 50 });
  const database = options.databaseServerUrl
    ? await privateDatabase(options.databaseServerUrl)
    : await createTestDatabase();
  const prefix = `e${randomBytes(5).toString('hex')}`;
  const dataRoot = await mkdtemp(join(tmpdir(), 'wiu-e2e-'));
  const natsUrl = options.natsUrl ?? NATS_URL;
  const common = {
    DATABASE_URL: options.serviceDatabaseUrl ? options.serviceDatabaseUrl(database.url) : database.url,
    NATS_URL: natsUrl,
    NATS_PREFIX: prefix,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  };

  const webhooks: ReceivedWebhook[] = [];
  const behaviours = new Map<string, ReceiverBehaviour>();
  const held = new Set<ServerResponse>();
  const receiver: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const behaviour = behaviours.get(path) ?? 'ok';
      if (behaviour === 'reset') return req.socket.destroy();
      if (behaviour === 'hang') return void held.add(res);
      if (behaviour === 'error') return void res.writeHead(500).end('broken');
      const raw = Buffer.concat(chunks).toString('utf8');
      const accept = () => {
        webhooks.push({ path, receivedAt: Date.now(), headers: req.headers, raw, body: JSON.parse(raw) });
        res.writeHead(204);
        res.end();
      };
      if (behaviour === 'slow') setTimeout(accept, options.slowMs ?? 2_000);
      else accept();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const receiverUrl = `${receiverBase}/hooks`;

  const services: Service[] = [];
  const delivery = await spawnService(
    'delivery',
    join(ROOT, 'services/delivery'),
    ['src/main.ts'],
    {
      ...common,
      DELIVERY_SCHEDULE_MS: '0,200,400,800,1600,3200',
      DELIVERY_POLL_INTERVAL_MS: '50',
      ...options.deliveryEnv,
    },
    await freePort(),
  );
  services.push(delivery);
  const gateways: Service[] = [];
  for (let replica = 0; replica < (options.gateways ?? 1); replica++) {
    const gateway = await spawnService(
      replica === 0 ? 'gateway' : `gateway ${replica}`,
      join(ROOT, 'services/gateway'),
      ['src/main.ts'],
      {
        ...common,
        REDIS_URL: options.redisUrl ?? REDIS_URL,
        REDIS_KEY_PREFIX: `${prefix}:`,
        RATE_LIMIT_BURST: '10000',
        RATE_LIMIT_PER_SECOND: '1000',
        ...options.gatewayEnv,
      },
      await freePort(),
    );
    services.push(gateway);
    gateways.push(gateway);
  }
  const gateway = gateways[0]!;

  const startWorker = async (workerId: string, env: Record<string, string> = {}) => {
    const worker = await spawnService(
      `worker ${workerId}`,
      join(ROOT, 'services/worker'),
      ['--import', '@whatisup/wa-sim/trust', 'src/main.ts'],
      {
        ...common,
        WORKER_ID: workerId,
        DATA_DIR: join(dataRoot, workerId),
        WA_WEBSOCKET_URL: sim.url,
        WA_SIM_ROOT_PUBLIC_KEY: sim.rootPublicKey.toString('base64'),
        ...(sim.mediaCaPem ? { WA_SIM_CA_PEM: sim.mediaCaPem } : {}),
        MEDIA_ALLOW_PRIVATE_URLS: 'true',
        QR_TIMEOUT_MS: '3000',
        HEARTBEAT_MS: '500',
        BAILEYS_LOG_LEVEL: 'silent',
        ...env,
      },
      await freePort(),
    );
    services.push(worker);
    return worker;
  };
  for (const [workerId, env] of Object.entries(options.workers ?? { 'worker-0': {} }))
    await startWorker(workerId, env);

  const created = await promisify(execFile)(
    process.execPath,
    ['src/admin-cli.ts', 'customer:create', '--name', 'E2E'],
    {
      cwd: join(ROOT, 'services/gateway'),
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    },
  );
  const { api_key: apiKey, customer_id: customerId } = JSON.parse(created.stdout) as {
    api_key: string;
    customer_id: string;
  };

  const api = (path: string, init: ApiInit = {}) => apiFetch(gateway.url, apiKey, path, init);

  return {
    sim,
    prefix,
    database,
    gatewayUrl: gateway.url,
    gatewayUrls: gateways.map((g) => g.url),
    gateways,
    delivery,
    natsUrl,
    apiKey,
    customerId,
    webhooks,
    receiverUrl,
    receiverPath: (path) => `${receiverBase}${path}`,
    setReceiverBehaviour(path, behaviour) {
      behaviours.set(path, behaviour);
      if (behaviour !== 'hang') {
        for (const res of held) res.destroy();
        held.clear();
      }
    },
    services,
    startWorker,
    api,
    async waitFor(probe, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      await Promise.all(services.map((s) => s.stop()));
      for (const res of held) res.destroy();
      receiver.closeAllConnections();
      receiver.close();
      await sim.close();
      const bus = await connectNatsBus({ url: natsUrl, prefix, name: 'e2e-cleanup' });
      for (const stream of await bus.jsm.streams.names().next()) {
        if (stream.startsWith(prefix) || stream === `KV_${prefix}_workers`)
          await bus.jsm.streams.delete(stream).catch(() => {});
      }
      await bus.close();
      await database.drop();
      await rm(dataRoot, { recursive: true, force: true });
    },
  };
}
