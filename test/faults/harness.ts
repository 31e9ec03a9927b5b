// Fault-suite tooling: our own Redis, NATS and Postgres servers (the machine's shared servers
// stay untouched), a client with timeouts and failover across gateway replicas, a steady stream of sends and
// inbound messages, and the end-state checks every scenario ends with.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectNatsBus } from '@whatisup/bus';
import { expect } from 'vitest';
import { type System, type SystemOptions, startSystem } from '../e2e/system.ts';

/** FAULTS_SOAK=1: longer fault windows and more traffic. */
export const SOAK = process.env.FAULTS_SOAK === '1';
/** How long a fault lasts while traffic flows. */
export const FAULT_MS = SOAK ? 20_000 : 2_500;
/** Soak runs carry more traffic: every time bound (end-state waits, test and hook timeouts) stretches with it. */
export const TIME_SCALE = SOAK ? 4 : 1;
export const timeout = (ms: number) => ms * TIME_SCALE;
/** No API request may take longer than this (the client aborts it and counts it as hung). */
export const REQUEST_TIMEOUT_MS = 15_000;

export async function freePort(): Promise<number> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function until<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = timeout(30_000),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A server binary run as our child, on a fixed port so that it can be stopped and started again. */
export interface ChildServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

interface ChildOptions {
  cleanup?: () => Promise<void>;
  /** Run as this user (Postgres refuses to run as root). */
  user?: { uid: number; gid: number };
  /** Default SIGKILL. */
  stopSignal?: NodeJS.Signals;
  /** Ready once this resolves true (default: the port accepts connections). */
  ready?: (port: number) => Promise<boolean>;
}

async function childServer(
  scheme: string,
  command: string,
  argsFor: (port: number) => string[],
  options: ChildOptions = {},
): Promise<ChildServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';
  const reachable = () =>
    new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  const server: ChildServer = {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(command, argsFor(port), { stdio: ['ignore', 'pipe', 'pipe'], ...options.user });
      child.stdout!.on('data', (chunk) => {
        output += String(chunk);
      });
      child.stderr!.on('data', (chunk) => {
        output += String(chunk);
      });
      const current = child;
      await until(async () => {
        if (current.exitCode !== null) throw new Error(`${command} exited:\n${output}`);
        return options.ready ? options.ready(port) : reachable();
      }, `${command} on port ${port}`);
    },
    stop() {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        current.once('exit', () => resolve());
        current.kill(options.stopSignal ?? 'SIGKILL');
      });
    },
    async close() {
      await server.stop();
      await options.cleanup?.();
    },
  };
  await server.start();
  return server;
}

export function startRedis(): Promise<ChildServer> {
  return childServer('redis', 'redis-server', (port) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
  ]);
}

/** nats-server with JetStream; its store dir survives restarts, so the event stream does too. */
export async function startNats(): Promise<ChildServer> {
  const storeDir = await mkdtemp(join(tmpdir(), 'wiu-faults-nats-'));
  const binary = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
  return childServer(
    'nats',
    binary,
    (port) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
    { cleanup: () => rm(storeDir, { recursive: true, force: true }) },
  );
}

function postgresBinDir(): string {
  if (process.env.POSTGRES_BIN_DIR) return process.env.POSTGRES_BIN_DIR;
  const versions = readdirSync('/usr/lib/postgresql')
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no /usr/lib/postgresql/<version>: set POSTGRES_BIN_DIR');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

/**
 * A private Postgres server (initdb into a temp dir, trust auth, user postgres) that a test may stop and
 * start; its data dir survives restarts. `stop()` is an immediate shutdown (SIGQUIT: every backend dies, the
 * next start runs crash recovery), the nearest thing to a crash that leaves no orphaned backends behind.
 * Postgres refuses to run as root, so under root it runs as the `postgres` user.
 */
export async function startPostgres(): Promise<ChildServer> {
  const bin = postgresBinDir();
  const dataDir = await mkdtemp(join(tmpdir(), 'wiu-faults-pg-'));
  const user =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
        }
      : undefined;
  if (user) await chown(dataDir, user.uid, user.gid);
  await promisify(execFile)(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    { ...user },
  );
  const server = await childServer(
    'postgres',
    join(bin, 'postgres'),
    (port) => [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dataDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ],
    {
      user,
      stopSignal: 'SIGQUIT',
      cleanup: () => rm(dataDir, { recursive: true, force: true }),
      ready: (port) =>
        promisify(execFile)(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]).then(
          () => true,
          () => false,
        ),
    },
  );
  return { ...server, url: `postgres://postgres@127.0.0.1:${server.port}/postgres` };
}

/** A TCP proxy to Postgres: `cut()` drops every connection and refuses new ones until `resume()`. */
export interface ApiRecord {
  method: string;
  path: string;
  /** Sent as X-Correlation-Id: find the request in the services' logs. */
  correlationId: string;
  status: number;
  code?: string;
  retryAfter: string | null;
  rateLimit: string | null;
  ms: number;
  /** Set when no replica answered (connection refused everywhere, or the request timed out). */
  failure?: string;
}

export interface ApiResult {
  status: number;
  body: Record<string, unknown> & { error?: { code?: string } };
  headers: Headers;
}

/** The test's client: every request bounded by REQUEST_TIMEOUT_MS, failing over to the next gateway replica. */
export class FaultClient {
  readonly records: ApiRecord[] = [];
  #next = 0;
  readonly #urls: string[];
  readonly #apiKey: string;
  constructor(urls: string[], apiKey: string) {
    this.#urls = urls;
    this.#apiKey = apiKey;
  }

  async request(
    path: string,
    init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
  ) {
    const method = init.method ?? 'GET';
    const started = Date.now();
    const correlationId = `fault-${randomUUID()}`;
    const errors: string[] = [];
    for (let attempt = 0; attempt < this.#urls.length; attempt++) {
      const url = this.#urls[(this.#next + attempt) % this.#urls.length]!;
      try {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.#apiKey}`,
            'X-Correlation-Id': correlationId,
            ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...init.headers,
          },
          body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await res.text();
        const body = (text ? JSON.parse(text) : {}) as ApiResult['body'];
        this.#next = (this.#next + attempt) % this.#urls.length;
        this.records.push({
          method,
          path,
          correlationId,
          status: res.status,
          code: body.error?.code,
          retryAfter: res.headers.get('Retry-After'),
          rateLimit: res.headers.get('RateLimit'),
          ms: Date.now() - started,
        });
        return { status: res.status, body, headers: res.headers } satisfies ApiResult;
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        errors.push(message);
        // A timeout is a hang: never retried elsewhere, reported as such.
        if (error instanceof Error && error.name === 'TimeoutError') break;
      }
    }
    this.records.push({
      method,
      path,
      correlationId,
      status: 0,
      retryAfter: null,
      rateLimit: null,
      ms: Date.now() - started,
      failure: errors.join('; '),
    });
    return { status: 0, body: {}, headers: new Headers() } satisfies ApiResult;
  }

  /** Records since `from` (an index into `records`). */
  since(from: number) {
    return this.records.slice(from);
  }
}

/** A count of answers by status and code, for failure messages. */
export function summary(records: ApiRecord[]) {
  const counts = new Map<string, number>();
  for (const r of records) {
    const key = `${r.status} ${r.code ?? ''}${r.failure ? ` ${r.failure.slice(0, 80)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
}

export interface Linked {
  id: string;
  phone: string;
  /** Receives the instance's sends. */
  contact: string;
  /** Sends the inbound messages (another chat than `contact`, see startTraffic). */
  sender: string;
}

let numbers = 0;
function nextNumber() {
  numbers += 1;
  return `49170${String(process.pid % 1000).padStart(3, '0')}${String(numbers).padStart(4, '0')}`;
}

/** Creates `count` instances through the API, links each by QR, and gives each a contact phone. */
export async function linkInstances(system: System, client: FaultClient, count: number): Promise<Linked[]> {
  const linked: Linked[] = [];
  for (let i = 0; i < count; i++) {
    const phone = nextNumber();
    const contact = nextNumber();
    const sender = nextNumber();
    system.sim.createAccount(phone, { pushName: `Shop ${phone}` });
    system.sim.createAccount(contact, { pushName: `Contact ${contact}` });
    system.sim.createAccount(sender, { pushName: `Sender ${sender}` });
    const created = await client.request('/v1/instances', {
      method: 'POST',
      json: { name: `fault-${phone}` },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const qr = await until(async () => {
      const res = await client.request(`/v1/instances/${id}/qr`);
      return res.status === 200 ? (res.body.qr as string) : undefined;
    }, `a QR for ${id}`);
    system.sim.scanQr(phone, qr);
    linked.push({ id, phone, contact, sender });
  }
  for (const instance of linked) await waitConnected(client, instance.id);
  return linked;
}

/** A system under fault, its client, and instances linked and subscribed to the receiver's `/hooks`. */
export interface Scenario {
  system: System;
  client: FaultClient;
  linked: Linked[];
}

/**
 * Starts the system, registers a webhook endpoint to the receiver (`webhook: false` for none) and links
 * `instances` instances through the API: the setup every scenario starts from.
 */
export async function startScenario(
  options: SystemOptions & { instances?: number; webhook?: boolean } = {},
): Promise<Scenario> {
  const { instances = 2, webhook = true, ...systemOptions } = options;
  const system = await startSystem(systemOptions);
  try {
    const client = new FaultClient(system.gatewayUrls, system.apiKey);
    if (webhook) {
      const endpoint = await client.request('/v1/webhook-endpoints', {
        method: 'POST',
        json: { url: system.receiverUrl },
      });
      expect(endpoint.status).toBe(201);
    }
    return { system, client, linked: await linkInstances(system, client, instances) };
  } catch (error) {
    await system.close();
    throw error;
  }
}

/**
 * One fault under traffic, and the checks every such scenario ends with. Traffic starts (two sends accepted
 * first), `fault` runs while it flows (the fault, its recovery, and traffic after it), then traffic stops and:
 * every answer was a clear one, the end state holds, and `recover` still sends and receives. Returns the API
 * records of the whole scenario, for its own checks.
 */
export async function faultUnderTraffic(
  { system, client, linked }: Scenario,
  fault: (traffic: Traffic) => Promise<void>,
  options: { recover?: Linked; allowFailover?: boolean } = {},
): Promise<ApiRecord[]> {
  const from = client.records.length;
  const traffic = startTraffic(system, client, linked);
  await trafficFor(traffic, 500, 2);
  await fault(traffic);
  await traffic.stop();
  const records = client.since(from);
  assertClearErrors(records, options.allowFailover ?? false);
  await assertEndState(system, client, traffic);
  await assertRecovered(system, client, options.recover ?? linked[0]!);
  return records;
}

export async function waitConnected(client: FaultClient, id: string, timeoutMs = timeout(45_000)) {
  await until(
    async () => (await client.request(`/v1/instances/${id}`)).body.status === 'connected',
    `${id} to be connected`,
    timeoutMs,
  );
}

export interface Accepted {
  id: string;
  instanceId: string;
  to: string;
  text: string;
}

export type LoopKind = 'sends' | 'inbound';

/** Lets loops park at a safe point while a test does something that must not race with them. */
class Gate {
  #held: { parked: number; release: Promise<void>; open: () => void } | undefined;
  #waiters: Array<() => void> = [];

  async pass(): Promise<void> {
    const held = this.#held;
    if (!held) return;
    held.parked += 1;
    for (const wake of this.#waiters.splice(0)) wake();
    await held.release;
  }

  async close(loops: number): Promise<void> {
    let open!: () => void;
    const release = new Promise<void>((resolve) => {
      open = resolve;
    });
    const held = { parked: 0, release, open };
    this.#held = held;
    while (held.parked < loops) await new Promise<void>((wake) => this.#waiters.push(wake));
  }

  open(): void {
    this.#held?.open();
    this.#held = undefined;
  }
}

export interface Traffic {
  accepted: Map<string, Accepted>;
  /** Texts the contacts sent to the instances (sim accepted them). */
  inbound: Array<{ from: string; to: string; text: string; sentAt: number }>;
  /** Holds the send or the inbound loops after their current message (the others keep going) until `resume`. */
  pause(kind: LoopKind): Promise<void>;
  resume(kind: LoopKind): void;
  stop(): Promise<void>;
}

/**
 * One send loop per instance (a send, then a read of the instance) and one inbound loop per instance, each
 * paced by `intervalMs`, until `stop()`. A send whose answer was lost is repeated with its Idempotency-Key.
 * Inbound comes from another phone than the one the sends go to: sends and inbound on the same chat at the
 * same moment lose messages to Signal session errors even without any fault (see the issue 9 report).
 */
export function startTraffic(
  system: System,
  client: FaultClient,
  linked: Linked[],
  intervalMs = SOAK ? 50 : 150,
) {
  const accepted = new Map<string, Accepted>();
  const inbound: Traffic['inbound'] = [];
  let running = true;
  const gates: Record<LoopKind, Gate> = { sends: new Gate(), inbound: new Gate() };
  const pause = () => new Promise((resolve) => setTimeout(resolve, intervalMs));
  const tag = Math.random().toString(36).slice(2, 8);
  const loops = linked.flatMap((instance, index) => [
    (async () => {
      for (let n = 0; running; n++) {
        const text = `out ${tag} ${index}-${n}`;
        const key = `fault-${tag}-${index}-${n}`;
        for (let tries = 0; tries < 3; tries++) {
          const res = await client.request(`/v1/instances/${instance.id}/messages`, {
            method: 'POST',
            json: { to: instance.contact, type: 'text', text },
            headers: { 'Idempotency-Key': key },
          });
          if (res.status === 202 || res.status === 200) {
            const id = res.body.id as string;
            accepted.set(id, { id, instanceId: instance.id, to: instance.contact, text });
          }
          if (res.status !== 0) break;
        }
        await client.request(`/v1/instances/${instance.id}`);
        await pause();
        await gates.sends.pass();
      }
    })(),
    (async () => {
      for (let n = 0; running; n++) {
        const text = `in ${tag} ${index}-${n}`;
        const sentAt = Date.now();
        await system.sim.sendText(instance.sender, instance.phone, text);
        inbound.push({ from: instance.sender, to: instance.phone, text, sentAt });
        await pause();
        await gates.inbound.pass();
      }
    })(),
  ]);
  return {
    accepted,
    inbound,
    pause: (kind) => gates[kind].close(linked.length),
    resume: (kind) => gates[kind].open(),
    async stop() {
      running = false;
      gates.sends.open();
      gates.inbound.open();
      await Promise.all(loops);
    },
  } satisfies Traffic;
}

/** Every inbound text sent so far has reached `hookPath` as `message.received`. */
export function inboundSettled(system: System, traffic: Traffic, hookPath = '/hooks') {
  const received = new Set(
    system.webhooks
      .filter((w) => w.path === hookPath && w.body.type === 'message.received')
      .map((w) => w.body.data.text),
  );
  return traffic.inbound.every((m) => received.has(m.text));
}

/** Keeps the traffic flowing for `ms` (so that the fault happens under load), polling nothing. */
export async function trafficFor(traffic: Traffic, ms: number, minAccepted = 0) {
  const start = traffic.accepted.size;
  await until(() => traffic.accepted.size >= start + minAccepted, `${minAccepted} more accepted sends`);
  await new Promise((resolve) => setTimeout(resolve, ms));
}

const ERROR_CODES_5XX = new Set([
  'service_unavailable',
  'database_unavailable',
  'instance_unavailable',
  'no_capacity',
]);
/** A command the worker took but never answered (it died holding it): documented 504, no Retry-After. */
const isCommandTimeout = (r: ApiRecord) => r.status === 504 && r.code === 'command_timeout';

/** Every answer during the fault was quick and, when an error, a clear one. */
export function assertClearErrors(records: ApiRecord[], allowFailover = false, allowCommandTimeout = false) {
  if (!allowCommandTimeout)
    expect(records.filter(isCommandTimeout), '504 command_timeout answers').toEqual([]);
  const slow = records.filter((r) => r.ms >= REQUEST_TIMEOUT_MS);
  expect(slow, 'requests that took 15 s or more').toEqual([]);
  const unanswered = records.filter((r) => r.status === 0);
  if (!allowFailover) expect(unanswered, 'requests no gateway answered').toEqual([]);
  else
    expect(
      unanswered.filter((r) => !/ECONNREFUSED|fetch failed|other side closed/.test(r.failure ?? '')),
    ).toEqual([]);
  const unclear = records.filter(
    (r) =>
      r.status >= 500 &&
      !isCommandTimeout(r) &&
      !(r.status === 503 && r.code && ERROR_CODES_5XX.has(r.code) && Number(r.retryAfter) > 0),
  );
  expect(unclear, '5xx answers that are not 503 with a code and Retry-After').toEqual([]);
  const unexpected4xx = records.filter(
    (r) =>
      r.status >= 400 &&
      r.status < 500 &&
      !['instance_not_connected', 'qr_unavailable'].includes(r.code ?? ''),
  );
  expect(unexpected4xx, 'unexpected 4xx answers').toEqual([]);
}

async function streamEvents(
  system: System,
): Promise<Array<{ id: string; type: string; data: Record<string, unknown> }>> {
  const bus = await connectNatsBus({ url: system.natsUrl, prefix: system.prefix, name: 'faults-check' });
  try {
    const stream = bus.subjects.eventStream;
    const info = await bus.jsm.streams.info(stream);
    const events: Array<{ id: string; type: string; data: Record<string, unknown> }> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await bus.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (message) events.push(message.json<{ id: string; type: string; data: Record<string, unknown> }>());
    }
    return events;
  } finally {
    await bus.close();
  }
}

/**
 * The end state: every accepted send is on the contact's phone exactly once or reported `message.failed`,
 * every inbound text arrived as `message.received`, every event in the stream reached `hookPath` at least once.
 */
export async function assertEndState(
  system: System,
  client: FaultClient,
  traffic: Traffic,
  hookPath = '/hooks',
) {
  const hooks = () => system.webhooks.filter((w) => w.path === hookPath);
  const failedHook = (id: string) =>
    hooks().some((w) => w.body.type === 'message.failed' && w.body.data.message_id === id);
  const onPhone = (message: Accepted) =>
    system.sim.inbox(message.to).filter((m) => !m.ownDeviceCopy && m.text === message.text).length;

  const pending = new Set(traffic.accepted.keys());
  await until(
    async () => {
      for (const id of pending) {
        const message = traffic.accepted.get(id)!;
        if (onPhone(message) > 0 || failedHook(id)) pending.delete(id);
      }
      return pending.size === 0;
    },
    'every accepted send on the phone or reported failed',
    timeout(60_000),
  ).catch(async (error: Error) => {
    const states = [];
    for (const id of [...pending].slice(0, 5)) {
      const message = traffic.accepted.get(id)!;
      const res = await client.request(`/v1/instances/${message.instanceId}/messages/${id}`);
      states.push(`${id} ${JSON.stringify(res.body)}`);
    }
    throw new Error(
      `${error.message}: ${pending.size} of ${traffic.accepted.size}, e.g.\n${states.join('\n')}`,
    );
  });
  for (const message of traffic.accepted.values()) {
    const copies = onPhone(message);
    if (copies > 0) expect(copies, `copies of ${message.text} on the phone`).toBe(1);
    else {
      const res = await client.request(`/v1/instances/${message.instanceId}/messages/${message.id}`);
      expect(res.body.status).toBe('failed');
    }
  }

  const received = () =>
    new Set(
      hooks()
        .filter((w) => w.body.type === 'message.received')
        .map((w) => w.body.data.text),
    );
  await until(
    () => traffic.inbound.every((m) => received().has(m.text)),
    'every inbound text as a webhook',
    timeout(60_000),
  ).catch(async (error: Error) => {
    const missing = traffic.inbound.filter((m) => !received().has(m.text)).map((m) => m.text);
    const inStream = new Set(
      (await streamEvents(system)).filter((e) => e.type === 'message.received').map((e) => e.data.text),
    );
    const published = missing.filter((text) => inStream.has(text));
    throw new Error(
      `${error.message}: missing ${missing.join(', ')}; of these in the event stream: ${published.join(', ') || 'none'}`,
    );
  });

  let missing: Array<{ id: string; type: string }> = [];
  await until(
    async () => {
      const delivered = new Set(hooks().map((w) => String(w.headers['webhook-id'])));
      missing = (await streamEvents(system)).filter((event) => !delivered.has(event.id));
      return missing.length === 0;
    },
    'every event in the stream delivered to the webhook receiver',
    timeout(60_000),
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${missing.map((e) => `${e.id} ${e.type}`).join(', ')}`);
  });
}

/** After the fault: a fresh send is accepted and reaches the phone. */
export async function assertRecovered(system: System, client: FaultClient, instance: Linked) {
  const text = `recovered ${Math.random().toString(36).slice(2)}`;
  const res = await until(async () => {
    const attempt = await client.request(`/v1/instances/${instance.id}/messages`, {
      method: 'POST',
      json: { to: instance.contact, type: 'text', text },
      headers: { 'Idempotency-Key': text },
    });
    return attempt.status === 202 || attempt.status === 200 ? attempt : undefined;
  }, 'a send to be accepted again');
  expect(res.body.id).toMatch(/^msg_/);
  await until(
    () => system.sim.inbox(instance.contact).some((m) => !m.ownDeviceCopy && m.text === text),
    'the recovery send on the phone',
  );
}
