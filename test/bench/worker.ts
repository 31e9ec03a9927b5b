// Benchmark: one session worker (its real entry point, a child process) against wa-sim (in this process),
// over a private NATS prefix and a temp DATA_DIR. Measures memory per connected idle session at each size,
// the time for all sessions to come back after a SIGTERM restart, and send throughput and latency from the
// send command to the contact's phone. Prints figures and PASS/FAIL against the targets; asserts nothing.
//   node test/bench/worker.ts [--sessions 50,200,1000] [--settle 35] [--senders 50] [--rate 100]
//     [--seconds 15] [--depth 4] [--pair-concurrency 8] [--phases memory,throughput]
//     [--cpu-prof DIR] [--heap-prof DIR]      (the worker inherits UV_THREADPOOL_SIZE)
// Quick run (under 3 minutes): --sessions 50 --settle 15 --seconds 10
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectNatsBus, decodeEvent } from '../../packages/bus/src/index.ts';
import {
  type CommandReply,
  type EventEnvelope,
  newId,
  waMessageIdFor,
} from '../../packages/contracts/src/index.ts';
import { type SimEvent, startSimulator } from '../../packages/wa-sim/src/index.ts';
import { formatNumber, loadAverage, pass, percentile, silenceLibsignalChatter } from './report.ts';

const TARGETS = {
  rssPerSessionMb: 3,
  reconnectS: { 50: 10, 1000: 60 } as Record<number, number>,
  msgPerS: 200,
  pacedP99Ms: 250,
};

const { values: flags } = parseArgs({
  options: {
    sessions: { type: 'string', default: '50,200,1000' },
    settle: { type: 'string', default: '35' },
    senders: { type: 'string', default: '50' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '15' },
    depth: { type: 'string', default: '4' },
    'pair-concurrency': { type: 'string', default: '8' },
    phases: { type: 'string', default: 'memory,throughput' },
    'cpu-prof': { type: 'string' },
    'heap-prof': { type: 'string' },
  },
  strict: true,
});

function intList(name: keyof typeof flags): number[] {
  const list = String(flags[name])
    .split(',')
    .map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((v) => !Number.isInteger(v) || v < 1)) {
    console.error(`--${name} must be positive integers separated by commas, got "${flags[name]}"`);
    process.exit(2);
  }
  return list;
}
const int = (name: keyof typeof flags) => intList(name)[0]!;

const sizes = intList('sessions').sort((a, b) => a - b);
const settleS = Number(flags.settle);
const senderCount = int('senders');
const pacedRate = int('rate');
const phaseSeconds = int('seconds');
const depth = int('depth');
const pairConcurrency = int('pair-concurrency');
const phases = new Set(String(flags.phases).split(','));
const runMemory = phases.has('memory');
const runThroughput = phases.has('throughput');
if (!runMemory && !runThroughput) {
  console.error('--phases must name memory and/or throughput');
  process.exit(2);
}

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const WORKER_DIR = fileURLToPath(new URL('../../services/worker/', import.meta.url));
const prefix = `wbench${randomBytes(4).toString('hex')}`;
const workerId = `bench-${randomBytes(3).toString('hex')}`;
// Headroom for the assigns in flight: the worker counts an instance twice while its assign is completing
// (SessionManager.count = held + reserved), so a cap of exactly N refuses the last concurrent assigns.
const capacity = Math.max(runMemory ? sizes.at(-1)! : 0, senderCount) + pairConcurrency;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => bytes / 1024 / 1024;
const fmt = (value: number, digits = 1) => formatNumber(value, digits);
const load = loadAverage;
silenceLibsignalChatter();

// The world: simulator here, NATS on a private prefix, the worker as a child process -----------------------

const sim = await startSimulator({ media: false });
const bus = await connectNatsBus({ url: NATS_URL, prefix, name: 'worker-bench' });
const dataRoot = await mkdtemp(join(tmpdir(), 'wiu-worker-bench-'));
const dataDir = join(dataRoot, workerId);
const { subjects } = bus;

/** Last event per `type|instance`, and waiters for the next one. */
const latest = new Map<string, EventEnvelope>();
const waiters = new Map<string, Array<{ since: number; resolve: (e: EventEnvelope) => void }>>();
const failures = new Map<string, number>();
/** message.sent by message id: when the worker made it, when it reached a NATS subscriber (JetStream ack lag). */
const sentEvents = new Map<string, { createdAt: number; seenAt: number }>();
bus.nc.subscribe(subjects.allEvents, {
  callback: (_error, msg) => {
    const event = decodeEvent(msg.data);
    if (event.type === 'message.sent') {
      sentEvents.set(String(event.data.message_id), {
        createdAt: Date.parse(event.created_at),
        seenAt: Date.now(),
      });
      return;
    }
    if (event.type === 'message.failed') {
      const code = String((event.data.error as { code?: string } | undefined)?.code);
      failures.set(code, (failures.get(code) ?? 0) + 1);
      return;
    }
    if (event.type.startsWith('message.')) return;
    const key = `${event.type}|${event.instance_id}`;
    latest.set(key, event);
    const list = waiters.get(key);
    if (!list) return;
    const at = Date.parse(event.created_at);
    for (const waiter of list.filter((w) => at >= w.since)) {
      list.splice(list.indexOf(waiter), 1);
      waiter.resolve(event);
    }
    if (list.length === 0) waiters.delete(key);
  },
});

/** The next `type` event of the instance created at or after `since` (ms), or the latest one if it is. */
function waitEvent(
  type: string,
  instanceId: string,
  since: number,
  timeoutMs: number,
): Promise<EventEnvelope> {
  const key = `${type}|${instanceId}`;
  const seen = latest.get(key);
  if (seen && Date.parse(seen.created_at) >= since) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const waiter = {
      since,
      resolve: (e: EventEnvelope) => {
        clearTimeout(timer);
        resolve(e);
      },
    };
    const timer = setTimeout(() => {
      const list = waiters.get(key);
      list?.splice(list.indexOf(waiter), 1);
      reject(new Error(`no ${type} for ${instanceId} within ${timeoutMs} ms`));
    }, timeoutMs);
    waiters.set(key, [...(waiters.get(key) ?? []), waiter]);
  });
}

async function command<T>(subject: string, payload: unknown, timeoutMs = 30_000): Promise<T> {
  const reply = await bus.nc.request(subject, encoder.encode(JSON.stringify(payload)), {
    timeout: timeoutMs,
  });
  const body = JSON.parse(decoder.decode(reply.data)) as CommandReply<T>;
  if (!body.ok) throw new Error(`${subject}: ${body.error.code} ${body.error.message}`);
  return body.data;
}

interface WorkerProcess {
  child: ChildProcess;
  url: string;
  tail: string[];
}

let worker: WorkerProcess | undefined;
/** Every worker process started, so that none outlives the benchmark even when a start fails. */
const started = new Set<WorkerProcess>();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function spawnWorker(): Promise<WorkerProcess> {
  const port = await freePort();
  const profile = [
    ...(flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : []),
    ...(flags['heap-prof'] ? ['--heap-prof', `--heap-prof-dir=${flags['heap-prof']}`] : []),
  ];
  const child = spawn(process.execPath, ['--import', '@whatisup/wa-sim/trust', ...profile, 'src/main.ts'], {
    cwd: WORKER_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      WA_SIM_ROOT_PUBLIC_KEY: sim.rootPublicKey.toString('base64'),
      WORKER_ID: workerId,
      DATA_DIR: dataDir,
      MAX_SESSIONS_PER_WORKER: String(capacity),
      NATS_URL,
      NATS_PREFIX: prefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      WA_WEBSOCKET_URL: sim.url,
      LOG_LEVEL: 'info',
      ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const spawned: WorkerProcess = { child, url: `http://127.0.0.1:${port}`, tail };
  started.add(spawned);
  let ready = false;
  const onLine = (chunk: Buffer) => {
    for (const line of String(chunk).split('\n')) {
      if (!line) continue;
      if (line.includes('"worker started"')) ready = true;
      tail.push(line);
      if (tail.length > 50) tail.shift();
    }
  };
  child.stdout!.on('data', onLine);
  child.stderr!.on('data', onLine);
  // The worker opens every stored session before it reports "started" (about 0.1 s each under load).
  const deadline = Date.now() + 60_000 + linked.length * 200;
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${tail.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`worker did not start:\n${tail.join('\n')}`);
    await sleep(20);
  }
  return spawned;
}

/** SIGTERM (graceful: sockets closed, auth-state flushed); ms until the process exited. */
async function stopWorker(process_: WorkerProcess): Promise<number> {
  const started = Date.now();
  const { child } = process_;
  if (child.exitCode !== null || child.signalCode !== null) return 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await exited;
  clearTimeout(timer);
  if (child.exitCode !== 0)
    console.error(`worker exited with ${child.exitCode}:\n${process_.tail.join('\n')}`);
  return Date.now() - started;
}

interface Sample {
  rss: number;
  heapUsed: number;
  connected: number;
}

async function sample(): Promise<Sample> {
  const text = await (await fetch(`${worker!.url}/metrics`)).text();
  const metric = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return {
    rss: metric(/^process_resident_memory_bytes (\S+)$/m),
    heapUsed: metric(/^nodejs_heap_size_used_bytes (\S+)$/m),
    connected: metric(/^whatisup_worker_sessions\{state="connected"\} (\S+)$/m) || 0,
  };
}

/** CPU seconds (user + system, all threads) the worker process has used, from /proc. */
function workerCpuS(): number {
  try {
    const fields = readFileSync(`/proc/${worker!.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function settle(): Promise<Sample & { cpuPct: number }> {
  const cpu0 = workerCpuS();
  await sleep(settleS * 1000);
  const cpuPct = ((workerCpuS() - cpu0) / settleS) * 100;
  return { ...(await sample()), cpuPct };
}

// Sessions ---------------------------------------------------------------------------------------------------

interface Linked {
  instanceId: string;
  customerId: string;
  msisdn: string;
}
const linked: Linked[] = [];

async function pairOne(index: number): Promise<Linked> {
  const msisdn = String(4_915_000_000_000 + index);
  sim.createAccount(msisdn, { pushName: `Shop ${index}` });
  const instanceId = newId('instance');
  const customerId = newId('customer');
  const since = Date.now();
  await command(subjects.worker(workerId, 'assign'), { instance_id: instanceId, customer_id: customerId });
  await waitEvent('qr.updated', instanceId, since, 60_000);
  const { qr } = await command<{ qr: string }>(subjects.command(instanceId, 'qr'), {});
  sim.scanQr(msisdn, qr);
  await waitEvent('instance.connected', instanceId, since, 120_000);
  return { instanceId, customerId, msisdn };
}

/** Pairs sessions until the worker holds `target`, `pairConcurrency` at a time (setup, not measured). */
async function pairUpTo(target: number): Promise<{ seconds: number; cpuMsPerSession: number }> {
  const started = Date.now();
  const cpu0 = workerCpuS();
  const first = linked.length;
  let next = first;
  await Promise.all(
    Array.from({ length: pairConcurrency }, async () => {
      while (next < target) {
        const index = next++;
        linked[index] = await pairOne(index);
      }
    }),
  );
  const count = target - first;
  return {
    seconds: (Date.now() - started) / 1000,
    cpuMsPerSession: count > 0 ? ((workerCpuS() - cpu0) * 1000) / count : Number.NaN,
  };
}

/** SIGTERM and start again on the same DATA_DIR; seconds from the new process's spawn until all are connected. */
async function restart(): Promise<{
  shutdownMs: number;
  bootS: number;
  allConnectedS: number;
  connected: number;
  cpuMsPerSession: number;
}> {
  const shutdownMs = await stopWorker(worker!);
  const spawned = Date.now();
  worker = await spawnWorker();
  const bootS = (Date.now() - spawned) / 1000;
  const timeoutMs = 60_000 + linked.length * 200;
  const results = await Promise.allSettled(
    linked.map((l) => waitEvent('instance.connected', l.instanceId, spawned, timeoutMs)),
  );
  const times = results.flatMap((r) => (r.status === 'fulfilled' ? [Date.parse(r.value.created_at)] : []));
  return {
    // The new process's whole CPU time (start-up included) until the last session was back.
    cpuMsPerSession: (workerCpuS() * 1000) / linked.length,
    shutdownMs,
    bootS,
    allConnectedS: times.length === linked.length ? (Math.max(...times) - spawned) / 1000 : Number.NaN,
    connected: times.length,
  };
}

// Sends ------------------------------------------------------------------------------------------------------

interface Send {
  messageId: string;
  sender: number;
  issuedAt: number;
  acceptedAt?: number;
  phoneAt?: number;
}
const sends = new Map<string, Send>(); // by WhatsApp message id
let onPhone: ((send: Send) => void) | undefined;
sim.events.on('event', (event: SimEvent) => {
  if (event.type !== 'phone.received' || event.ownDeviceCopy) return;
  const send = sends.get(event.id);
  if (!send || send.phoneAt !== undefined) return;
  send.phoneAt = event.at;
  onPhone?.(send);
});

const contactOf = (sender: number) => String(4_916_000_000_000 + sender);

function sendOne(sender: number): Send {
  const from = linked[sender]!;
  const messageId = newId('message');
  const send: Send = { messageId, sender, issuedAt: Date.now() };
  sends.set(waMessageIdFor(messageId), send);
  command(subjects.command(from.instanceId, 'send'), {
    message_id: messageId,
    customer_id: from.customerId,
    to: contactOf(sender),
    content: { type: 'text', text: `bench ${messageId}` },
    reply_to: null,
  }).then(
    () => {
      send.acceptedAt = Date.now();
    },
    (error: Error) => console.error(`send refused: ${error.message}`),
  );
  return send;
}

async function delivered(batch: Send[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (batch.some((s) => s.phoneAt === undefined) && Date.now() < deadline) await sleep(50);
}

async function eventsSeen(batch: Send[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (batch.some((s) => !sentEvents.has(s.messageId)) && Date.now() < deadline) await sleep(50);
}

interface Throughput {
  offered: string;
  count: number;
  lost: number;
  perS: number;
  p50: number;
  p99: number;
  max: number;
  acceptP50: number;
  acceptP99: number;
  eventLagP50: number;
  eventLagP99: number;
  workerCpuPct: number;
  workerCpuMsPerMessage: number;
  benchCpuPct: number;
}

function summarize(
  offered: string,
  batch: Send[],
  windowMs: number,
  cpuS: number,
  benchCpuUs: number,
): Throughput {
  const done = batch.filter((s) => s.phoneAt !== undefined);
  const latencies = done.map((s) => s.phoneAt! - s.issuedAt).sort((a, b) => a - b);
  const accepts = batch
    .filter((s) => s.acceptedAt !== undefined)
    .map((s) => s.acceptedAt! - s.issuedAt)
    .sort((a, b) => a - b);
  const lags = batch
    .flatMap((s) => {
      const sent = sentEvents.get(s.messageId);
      return sent ? [sent.seenAt - sent.createdAt] : [];
    })
    .sort((a, b) => a - b);
  return {
    offered,
    count: batch.length,
    lost: batch.length - done.length,
    perS: (done.length / windowMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    acceptP50: percentile(accepts, 50),
    acceptP99: percentile(accepts, 99),
    eventLagP50: percentile(lags, 50),
    eventLagP99: percentile(lags, 99),
    workerCpuPct: (cpuS / (windowMs / 1000)) * 100,
    workerCpuMsPerMessage: (cpuS * 1000) / done.length,
    benchCpuPct: (benchCpuUs / 1000 / windowMs) * 100,
  };
}

/** Open loop: `rate` sends per second spread round-robin over the senders for `phaseSeconds`. */
async function paced(rate: number, senders: number): Promise<Throughput> {
  const batch: Send[] = [];
  const cpu0 = workerCpuS();
  const bench0 = process.cpuUsage();
  const started = Date.now();
  const total = rate * phaseSeconds;
  while (batch.length < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    while (batch.length < due) batch.push(sendOne(batch.length % senders));
    await sleep(Math.max(1, started + (batch.length * 1000) / rate - Date.now()));
  }
  await delivered(batch, 60_000);
  await eventsSeen(batch, 30_000);
  const windowMs = Math.max(...batch.map((s) => s.phoneAt ?? 0)) - started;
  const bench = process.cpuUsage(bench0);
  return summarize(`${rate}/s`, batch, windowMs, workerCpuS() - cpu0, bench.user + bench.system);
}

/** Closed loop: every sender keeps `depth` messages between command and phone for `phaseSeconds`. */
async function flatOut(senders: number): Promise<Throughput> {
  const batch: Send[] = [];
  let open = true;
  onPhone = (send) => {
    if (open) batch.push(sendOne(send.sender));
  };
  const cpu0 = workerCpuS();
  const bench0 = process.cpuUsage();
  const started = Date.now();
  for (let d = 0; d < depth; d++) for (let s = 0; s < senders; s++) batch.push(sendOne(s));
  await sleep(phaseSeconds * 1000);
  open = false;
  onPhone = undefined;
  const windowMs = Date.now() - started;
  const cpuS = workerCpuS() - cpu0;
  const bench = process.cpuUsage(bench0);
  // Throughput counts what reached phones inside the window; latency covers every message once delivered.
  const inWindow = batch.filter((s) => s.phoneAt !== undefined && s.phoneAt <= started + windowMs).length;
  await delivered(batch, 60_000);
  await eventsSeen(batch, 30_000);
  const result = summarize(
    `closed loop, ${senders}×${depth} in flight`,
    batch,
    windowMs,
    cpuS,
    bench.user + bench.system,
  );
  return { ...result, perS: (inWindow / windowMs) * 1000 };
}

// Run ---------------------------------------------------------------------------------------------------------

function machine(): string {
  let disk = '';
  try {
    disk = readFileSync('/proc/meminfo', 'utf8').match(/MemAvailable:\s+(\d+)/)?.[1] ?? '';
  } catch {}
  return (
    `machine: ${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
    `${fmt(totalmem() / 1024 ** 3, 0)} GB RAM${disk ? ` (${fmt(Number(disk) / 1024 ** 2, 1)} GB available)` : ''}, ` +
    `node ${process.version}; load average ${load()}`
  );
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const spawned of started) await stopWorker(spawned).catch(() => {});
    await bus.jsm.streams.delete(subjects.eventStream).catch(() => {});
    await bus.jsm.streams.delete(`KV_${subjects.workerRegistryBucket}`).catch(() => {});
    await bus.close().catch(() => {});
    await sim.close();
    await rm(dataRoot, { recursive: true, force: true, maxRetries: 5 }).catch((error: Error) =>
      console.error(`could not remove ${dataRoot}: ${error.message}`),
    );
  })();
  return cleaning;
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

let ok = true;
try {
  console.log(machine());
  console.log(
    `worker ${workerId}: cap ${capacity}, settle ${settleS} s, pairing ${pairConcurrency} at a time (setup, not measured)\n`,
  );
  worker = await spawnWorker();

  interface Tier {
    sessions: number;
    pairS: number;
    pairCpuMs: number;
    paired: Sample & { cpuPct: number };
    restart: Awaited<ReturnType<typeof restart>>;
    resumed: Sample & { cpuPct: number };
    load: string;
  }
  const tiers: Tier[] = [];
  let baseline: (Sample & { cpuPct: number }) | undefined;
  if (runMemory) {
    baseline = await settle();
    console.log(
      `  0 sessions: RSS ${fmt(mb(baseline.rss))} MB, heap ${fmt(mb(baseline.heapUsed))} MB (load ${load()})`,
    );
    for (const size of sizes) {
      const pairing = await pairUpTo(size);
      console.log(
        `  paired up to ${size} in ${fmt(pairing.seconds)} s (worker CPU ${fmt(pairing.cpuMsPerSession, 0)} ms per pairing); settling`,
      );
      const paired = await settle();
      const restarted = await restart();
      console.log(
        `  ${size} sessions: RSS ${fmt(mb(paired.rss))} MB, heap ${fmt(mb(paired.heapUsed))} MB; restart: ` +
          `${restarted.connected}/${size} connected ${fmt(restarted.allConnectedS)} s after spawn; settling`,
      );
      const resumed = await settle();
      tiers.push({
        sessions: size,
        pairS: pairing.seconds,
        pairCpuMs: pairing.cpuMsPerSession,
        paired,
        restart: restarted,
        resumed,
        load: load(),
      });
      console.log(
        `  ${size} sessions after restart: RSS ${fmt(mb(resumed.rss))} MB, heap ${fmt(mb(resumed.heapUsed))} MB, ` +
          `${resumed.connected} connected (load ${load()})`,
      );
    }
  }

  const throughput: Throughput[] = [];
  let iqsBefore: Record<string, number> = {};
  let iqsPerMessage = '';
  let held = 0;
  if (runThroughput) {
    const senders = senderCount;
    if (linked.length < senders) {
      await pairUpTo(senders);
      // Sends then run on a worker resumed from its volume, as after the memory phase (and a --cpu-prof of
      // this process shows the sends, not the pairing).
      await restart();
    }
    held = linked.length;
    for (let s = 0; s < senders; s++) sim.createAccount(contactOf(s), { pushName: `Contact ${s}` });
    // The first message to each contact fetches its prekeys and starts a Signal session: warm-up, not measured.
    const warm = Array.from({ length: senders }, (_, s) => sendOne(s));
    await delivered(warm, 120_000);
    if (warm.some((s) => s.phoneAt === undefined)) throw new Error('warm-up sends did not reach the phones');
    await sleep(2_000);
    iqsBefore = sim.stats().iqs;
    throughput.push(await paced(pacedRate, senders));
    console.log(`  paced ${pacedRate}/s done (load ${load()})`);
    await sleep(2_000);
    throughput.push(await flatOut(senders));
    console.log(`  flat out done (load ${load()})`);
    const sent = throughput.reduce((sum, t) => sum + t.count, 0);
    iqsPerMessage = Object.entries(sim.stats().iqs)
      .map(([xmlns, n]) => [xmlns || '(none)', (n - (iqsBefore[xmlns] ?? 0)) / sent] as const)
      .filter(([, n]) => n > 0)
      .map(([xmlns, n]) => `${xmlns} ${fmt(n, 2)}`)
      .join(', ');
  }

  console.log(`\n${machine()}`);
  if (baseline) {
    console.log(
      `\nMemory (worker process; per session = (value at N − value at 0) / N; 0 sessions: RSS ` +
        `${fmt(mb(baseline.rss))} MB, heap ${fmt(mb(baseline.heapUsed))} MB)`,
    );
    console.log(
      '| sessions | RSS after pairing | heap | RSS / session | heap / session | after restart: RSS | heap | RSS / session | heap / session | idle CPU | restart: all connected | load |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of tiers) {
      const per = (s: Sample, key: 'rss' | 'heapUsed') => mb((s[key] - baseline[key]) / t.sessions);
      const rssOk = Math.max(per(t.paired, 'rss'), per(t.resumed, 'rss')) <= TARGETS.rssPerSessionMb;
      const target = TARGETS.reconnectS[t.sessions];
      const reconnectOk =
        t.restart.connected === t.sessions && (target === undefined || t.restart.allConnectedS <= target);
      ok &&= rssOk && reconnectOk;
      console.log(
        `| ${t.sessions} | ${fmt(mb(t.paired.rss), 0)} MB | ${fmt(mb(t.paired.heapUsed), 0)} MB | ` +
          `${fmt(per(t.paired, 'rss'), 2)} MB | ${fmt(per(t.paired, 'heapUsed'), 2)} MB | ` +
          `${fmt(mb(t.resumed.rss), 0)} MB | ${fmt(mb(t.resumed.heapUsed), 0)} MB | ` +
          `${fmt(per(t.resumed, 'rss'), 2)} MB | ${fmt(per(t.resumed, 'heapUsed'), 2)} MB ${pass(rssOk)} | ` +
          `${fmt(t.resumed.cpuPct, 1)} % | ` +
          `${fmt(t.restart.allConnectedS, 1)} s (${t.restart.connected}/${t.sessions}; boot ${fmt(t.restart.bootS, 1)} s, ` +
          `SIGTERM exit ${fmt(t.restart.shutdownMs / 1000, 1)} s, worker CPU ${fmt(t.restart.cpuMsPerSession, 0)} ms per session)${target === undefined ? '' : ` ${pass(reconnectOk)} ≤ ${target} s`} | ` +
          `${t.load} |`,
      );
    }
  }
  if (throughput.length > 0) {
    console.log(
      `\nThroughput (one worker holding ${held} sessions, ${Math.min(senderCount, held)} sending, each to its own ` +
        `contact, ${phaseSeconds} s per phase; latency = send command issued → contact's phone decrypted it)`,
    );
    console.log(
      '| load offered | sent | lost | msg/s to phones | p50 | p99 | max | accept p50 / p99 | message.sent event lag p50 / p99 | worker CPU (per message) | bench+sim CPU |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const t of throughput) {
      console.log(
        `| ${t.offered} | ${t.count} | ${t.lost} | ${fmt(t.perS, 0)} | ${fmt(t.p50, 0)} ms | ${fmt(t.p99, 0)} ms | ` +
          `${fmt(t.max, 0)} ms | ${fmt(t.acceptP50, 0)} / ${fmt(t.acceptP99, 0)} ms | ` +
          `${fmt(t.eventLagP50, 0)} / ${fmt(t.eventLagP99, 0)} ms | ${fmt(t.workerCpuPct, 0)} % (${fmt(t.workerCpuMsPerMessage, 1)} ms) | ` +
          `${fmt(t.benchCpuPct, 0)} % |`,
      );
    }
    const [pacedResult, maxResult] = throughput;
    const latencyOk = pacedResult!.p99 < TARGETS.pacedP99Ms && pacedResult!.lost === 0;
    const rateOk = maxResult!.perS >= TARGETS.msgPerS && maxResult!.lost === 0;
    ok &&= latencyOk && rateOk;
    console.log(
      `\n${pass(rateOk)} ≥ ${TARGETS.msgPerS} msg/s (${fmt(maxResult!.perS, 0)}); ` +
        `${pass(latencyOk)} p99 < ${TARGETS.pacedP99Ms} ms at ${pacedRate}/s (${fmt(pacedResult!.p99, 0)} ms)`,
    );
  }
  if (iqsPerMessage) console.log(`IQs the worker sent per message while sending: ${iqsPerMessage || 'none'}`);
  if (failures.size > 0) console.log(`message.failed: ${JSON.stringify(Object.fromEntries(failures))}`);
} catch (error) {
  ok = false;
  console.error(error);
  if (worker) console.error(`worker log tail:\n${worker.tail.join('\n')}`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
