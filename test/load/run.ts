// Full-system load: every service a real process (test/e2e/system.ts), WhatsApp played by wa-sim, signed
// webhooks to a local receiver. Pairs sessions through the API, then sustains sends (through the API, round
// robin over the gateways) and inbound messages (from the contacts' simulated phones) at fixed rates, and
// prints throughput, latencies, RSS/CPU per process over time, error counts and the end-to-end invariants.
// A script with figures, not a CI test; it asserts nothing but exits 1 when an invariant or target fails.
//   scripts/node24 pnpm load [--gateways 2] [--workers 3] [--sessions 200] [--customers 4] [--duration 600]
//     [--warmup 60] [--send-rate 50] [--inbound-rate 25] [--sample 10] [--pair-concurrency 6]
// Short run: --duration 60 --warmup 20
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { waMessageIdFor } from '@whatisup/contracts';
import { verifyWebhook } from '@whatisup/sdk';
import type { SimEvent } from '@whatisup/wa-sim';
import { formatNumber, loadAverage, pass, percentile, silenceLibsignalChatter } from '../bench/report.ts';
import { type ApiInit, apiFetch, type System, startSystem } from '../e2e/system.ts';

/**
 * What "no growth after warm-up" means here. V8 lets the heap grow until a major GC and then gives memory
 * back, so RSS is a sawtooth of tens of MB: a least-squares slope over a few minutes of it is mostly phase.
 * Judged instead is the envelope: neither the peak nor the trough of the second half of the measured window
 * may be more than this above the first half's. The slope is printed beside it.
 */
const MAX_RSS_RISE_MB = 10;
/**
 * With --heap-probe, the heap that survives a full GC is known every 10 s, without the sawtooth: a process
 * that keeps something per request or message shows as a steady slope. Judged over the second half of the
 * measured window (caches that fill for minutes after traffic starts, e.g. Baileys' 5-minute recent-message
 * cache, are full by then); this is what the verdict uses for the probed processes instead of the RSS envelope.
 */
const MAX_HEAP_SLOPE_MB_PER_MIN = 1;

const { values: flags } = parseArgs({
  options: {
    gateways: { type: 'string', default: '2' },
    workers: { type: 'string', default: '3' },
    sessions: { type: 'string', default: '200' },
    customers: { type: 'string', default: '4' },
    duration: { type: 'string', default: '600' },
    warmup: { type: 'string', default: '60' },
    'send-rate': { type: 'string', default: '50' },
    'inbound-rate': { type: 'string', default: '25' },
    sample: { type: 'string', default: '10' },
    'pair-concurrency': { type: 'string', default: '6' },
    /** A directory: every service writes its heap after a full GC there every 10 s. */
    'heap-probe': { type: 'string', default: '' },
  },
  strict: true,
});

function positive(name: keyof typeof flags, integer = true): number {
  const value = Number(flags[name]);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    console.error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${flags[name]}"`);
    process.exit(2);
  }
  return value;
}

const gatewayCount = positive('gateways');
const workerCount = positive('workers');
const sessionsPerWorker = positive('sessions');
const customerCount = positive('customers');
const durationS = positive('duration');
const warmupS = Number(flags.warmup);
const sendRate = positive('send-rate', false);
const inboundRate = positive('inbound-rate', false);
const sampleS = positive('sample');
const pairConcurrency = positive('pair-concurrency');
if (!(warmupS >= 0)) {
  console.error(`--warmup must be 0 or more seconds, got "${flags.warmup}"`);
  process.exit(2);
}
const sessionCount = workerCount * sessionsPerWorker;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (value: number, digits = 0) => formatNumber(value, digits);
const load = loadAverage;
silenceLibsignalChatter();

// Measurements --------------------------------------------------------------------------------------------

/** Set when the measured window starts (after pairing and warm-up) and ends. */
const span = { start: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY };
const measured = (at: number) => at >= span.start && at <= span.end;

const apiLatency = new Map<string, number[]>();
const errors = new Map<string, number>();
const countError = (key: string) => errors.set(key, (errors.get(key) ?? 0) + 1);

interface Customer {
  id: string;
  apiKey: string;
  endpointId: string;
  secret: string;
}

let gatewayTurn = 0;
/** One API call on the next gateway (round robin); latency recorded under `label` when in the window. */
async function call(
  system: System,
  customer: Customer,
  label: string,
  path: string,
  init: ApiInit = {},
): Promise<Response | undefined> {
  const base = system.gatewayUrls[gatewayTurn++ % system.gatewayUrls.length]!;
  const started = Date.now();
  try {
    const res = await apiFetch(base, customer.apiKey, path, { ...init, signal: AbortSignal.timeout(30_000) });
    if (measured(started)) {
      const list = apiLatency.get(label) ?? [];
      list.push(Date.now() - started);
      apiLatency.set(label, list);
    }
    const expected409 = label === 'GET /qr' || label === 'POST /v1/instances (retry)';
    if (res.status >= 400 && !(expected409 && res.status === 409)) {
      const code = await res
        .clone()
        .json()
        .then(
          (b: unknown) => (b as { error?: { code?: string } }).error?.code ?? '?',
          () => '?',
        );
      countError(`${label} → ${res.status} ${code}`);
    }
    return res;
  } catch (error) {
    countError(`${label} → ${(error as Error).name}`);
    return undefined;
  }
}

// Per-process samples from /proc ------------------------------------------------------------------------------

interface ProcSample {
  rssMb: number;
  cpuS: number;
}
function procSample(pid: number | undefined): ProcSample {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return {
      rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024,
      cpuS: (Number(fields[11]) + Number(fields[12])) / 100,
    };
  } catch {
    return { rssMb: Number.NaN, cpuS: Number.NaN };
  }
}

interface SeriesRow {
  at: number;
  load: string;
  sent: number;
  inbound: number;
  procs: Array<ProcSample & { cpuPct: number }>;
}

/** Least-squares slope in MB per minute of the samples taken in [from, to]. */
/** Least-squares slope, per minute, of (time in ms, value) points. */
function slope(points: (readonly [number, number])[]): number {
  if (points.length < 3) return Number.NaN;
  const xs = points.map(([at]) => (at - points[0]![0]) / 60_000);
  const mx = xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const sxy = points.reduce((sum, [, y], i) => sum + (xs[i]! - mx) * (y - my), 0);
  const sxx = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
  return sxy / sxx;
}

/** The heap probe's record of one process (test/load/heap-probe.ts): [wall-clock ms, MB after a full GC]. */
function heapAfterGc(pid: number | undefined): (readonly [number, number])[] {
  try {
    return readFileSync(join(String(flags['heap-probe']), `${pid}.log`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map(Number))
      .filter((fields) => fields.length >= 4)
      .map(([, heapMb, , at]) => [at!, heapMb!] as const);
  } catch {
    return [];
  }
}

function machine(): string {
  const available = /MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return (
    `machine: ${availableParallelism()} × ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
    `${fmt(totalmem() / 1024 ** 3)} GB RAM${available ? ` (${fmt(Number(available) / 1024 ** 2, 1)} GB available)` : ''}, ` +
    `node ${process.version}; load average ${load()}`
  );
}

/**
 * Every event of the customer, from the API's event stream (SSE, the JetStream log) since the run started:
 * the list of what was published, to check each reached the webhook receiver. Reconnects with Last-Event-ID.
 */
async function followEvents(
  system: System,
  customer: Customer,
  index: number,
  sinceIso: string,
  published: Map<string, { type: string; createdAt: number }>,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    const base = system.gatewayUrls[index % system.gatewayUrls.length]!;
    try {
      const res = await fetch(
        `${base}/v1/events/stream${lastId ? '' : `?since=${encodeURIComponent(sinceIso)}`}`,
        {
          headers: {
            Authorization: `Bearer ${customer.apiKey}`,
            ...(lastId ? { 'Last-Event-ID': lastId } : {}),
          },
          signal,
        },
      );
      if (res.status !== 200 || !res.body) throw new Error(`status ${res.status}`);
      let buffer = '';
      for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let data = '';
          for (const line of message.split('\n')) {
            if (line.startsWith('id: ')) lastId = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (!data) continue;
          const event = JSON.parse(data) as { id: string; type: string; created_at: string };
          published.set(event.id, { type: event.type, createdAt: Date.parse(event.created_at) });
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      countError(`GET /v1/events/stream → ${(error as Error).message}`);
    }
    if (!signal.aborted) await sleep(1_000);
  }
}

// Run -----------------------------------------------------------------------------------------------------------

// --heap-probe DIR: every service records its heap after a full GC every 10 s (test/load/heap-probe.ts).
const heapProbeEnv: Record<string, string> = flags['heap-probe']
  ? {
      NODE_OPTIONS: `--expose-gc --import=${new URL('./heap-probe.ts', import.meta.url).pathname}`,
      HEAP_PROBE_DIR: String(flags['heap-probe']),
    }
  : {};

const workers = Object.fromEntries(
  Array.from({ length: workerCount }, (_, i) => [
    `load-w${i}`,
    // Headroom: a worker counts an instance twice while its assign completes, and placement is by load.
    {
      MAX_SESSIONS_PER_WORKER: String(Math.ceil(sessionsPerWorker * 1.1) + pairConcurrency),
      ...heapProbeEnv,
      // Heap snapshots (test/load/heap-diff.ts) are taken in the workers only, where the heap is worth reading.
      ...(flags['heap-probe'] && process.env.HEAP_SNAPSHOT_AT
        ? { HEAP_SNAPSHOT_AT: process.env.HEAP_SNAPSHOT_AT }
        : {}),
    },
  ]),
);

console.log(machine());
console.log(
  `${gatewayCount} gateways, ${workerCount} workers × ${sessionsPerWorker} sessions, ${customerCount} customers; ` +
    `${sendRate} sends/s and ${inboundRate} inbound/s for ${warmupS} s warm-up + ${durationS} s measured\n`,
);

let system: System | undefined;
let ok = true;
const cleanupAndExit = (code: number) =>
  void (system?.close() ?? Promise.resolve()).finally(() => process.exit(code));
process.on('SIGINT', () => cleanupAndExit(130));

try {
  const setupStarted = Date.now();
  system = await startSystem({
    gateways: gatewayCount,
    workers,
    ...(flags['heap-probe'] ? { gatewayEnv: heapProbeEnv, deliveryEnv: heapProbeEnv } : {}),
  });
  const { sim } = system;
  const services = system.services;
  console.log(
    `system up in ${fmt((Date.now() - setupStarted) / 1000, 1)} s: ${services.map((s) => `${s.name} (pid ${s.child.pid})`).join(', ')}`,
  );

  const published = new Map<string, { type: string; createdAt: number }>();
  const feedsOpen = new AbortController();
  const runStartedIso = new Date(setupStarted).toISOString();

  // Customers, each with one webhook endpoint on its own receiver path ---------------------------------------
  const customers: Customer[] = [];
  for (let c = 0; c < customerCount; c++) {
    let id = system.customerId;
    let apiKey = system.apiKey;
    if (c > 0) {
      const created = await promisify(execFile)(
        process.execPath,
        ['src/admin-cli.ts', 'customer:create', '--name', `Load ${c}`],
        {
          cwd: join(ROOT, 'services/gateway'),
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: system.database.url },
        },
      );
      ({ customer_id: id, api_key: apiKey } = JSON.parse(created.stdout) as {
        customer_id: string;
        api_key: string;
      });
    }
    const customer: Customer = { id, apiKey, endpointId: '', secret: '' };
    const res = await call(system, customer, 'POST /v1/webhook-endpoints', '/v1/webhook-endpoints', {
      method: 'POST',
      json: { url: system.receiverPath(`/customer-${c}`) },
    });
    if (res?.status !== 201) throw new Error(`webhook endpoint: ${res?.status} ${await res?.text()}`);
    const endpoint = (await res.json()) as { id: string; secret: string };
    customer.endpointId = endpoint.id;
    customer.secret = endpoint.secret;
    customers.push(customer);
    void followEvents(system, customer, c, runStartedIso, published, feedsOpen.signal);
  }
  const secrets = new Map(customers.map((c) => [c.endpointId, c.secret]));

  // The receiver side: verify every webhook with the sdk, then record it ---------------------------------------
  const received = new Map<string, number>(); // event id → deliveries
  const hookLatency = new Map<string, number[]>(); // event type → created_at → received (ms)
  const inboundByText = new Map<string, { sentAt: number; hookAt?: number }>();
  let verified = 0;
  const drainReceiver = () => {
    for (const hook of system!.webhooks.splice(0)) {
      const secret = secrets.get(String(hook.headers['x-whatisup-endpoint-id']));
      let event: { id: string; type: string; created_at: string; data: Record<string, unknown> };
      try {
        if (!secret) throw new Error('unknown endpoint');
        event = verifyWebhook(hook.raw, hook.headers, secret, { now: () => hook.receivedAt }) as typeof event;
      } catch (error) {
        countError(`webhook verification → ${(error as Error).message}`);
        continue;
      }
      verified++;
      received.set(event.id, (received.get(event.id) ?? 0) + 1);
      const createdAt = Date.parse(event.created_at);
      if (measured(createdAt)) {
        const list = hookLatency.get(event.type) ?? [];
        list.push(hook.receivedAt - createdAt);
        hookLatency.set(event.type, list);
      }
      if (event.type === 'message.received') {
        const inbound = inboundByText.get(String(event.data.text));
        if (inbound && inbound.hookAt === undefined) inbound.hookAt = hook.receivedAt;
      }
    }
  };
  const receiverTimer = setInterval(drainReceiver, 200);

  // Pairing through the API: create → QR → the simulated phone scans → connected ------------------------------
  interface Session {
    instanceId: string;
    customer: Customer;
    phone: string;
    contact: string;
  }
  const sessions: Session[] = [];
  const pairStarted = Date.now();
  let nextPair = 0;
  const pairDurations: number[] = [];
  /** Instance names are unique per customer: a create retried after a lost answer finds its instance by name. */
  const createInstance = async (customer: Customer, name: string): Promise<string> => {
    for (let attempt = 1; ; attempt++) {
      // a retry's 409 is the first attempt's instance, not an error (the first attempt's failure was counted)
      const label = attempt === 1 ? 'POST /v1/instances' : 'POST /v1/instances (retry)';
      const res = await call(system!, customer, label, '/v1/instances', { method: 'POST', json: { name } });
      if (res?.status === 201) return ((await res.json()) as { id: string }).id;
      if (res?.status === 409 && attempt > 1) {
        for (let cursor: string | null = null; ; ) {
          const page = await call(
            system!,
            customer,
            'GET /v1/instances',
            `/v1/instances?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
          );
          if (page?.status !== 200) break;
          const body = (await page.json()) as {
            data: { id: string; name: string }[];
            next_cursor: string | null;
          };
          const found = body.data.find((instance) => instance.name === name);
          if (found) return found.id;
          if (!body.next_cursor) break;
          cursor = body.next_cursor;
        }
      }
      if (attempt >= 5) throw new Error(`creating instance ${name}: ${res?.status} ${await res?.text()}`);
      await sleep(1_000 * attempt);
    }
  };
  const pairOne = async (index: number): Promise<Session> => {
    const customer = customers[index % customers.length]!;
    const phone = String(4_915_100_000_000 + index);
    const contact = String(4_916_100_000_000 + index);
    const pairOneStarted = Date.now();
    sim.createAccount(phone, { pushName: `Shop ${index}` });
    sim.createAccount(contact, { pushName: `Contact ${index}` });
    const instanceId = await createInstance(customer, `load-${index}`);
    let scannedAt = 0;
    for (const deadline = Date.now() + 120_000; ; ) {
      if (Date.now() > deadline) throw new Error(`${instanceId}: no connection within 120 s`);
      const qr = await call(system!, customer, 'GET /qr', `/v1/instances/${instanceId}/qr`);
      if (qr?.status === 200) {
        const { qr: code } = (await qr.json()) as { qr: string };
        // One scan per QR; a phone that scanned waits for the connection rather than linking twice.
        if (Date.now() - scannedAt > 15_000) {
          try {
            sim.scanQr(phone, code);
            scannedAt = Date.now();
          } catch {
            // The QR rotated between the read and the scan; the next read has the new one.
          }
        }
      } else if (qr?.status === 409) {
        const state = await call(system!, customer, 'GET /v1/instances/{id}', `/v1/instances/${instanceId}`);
        const body = (await state?.json()) as { status?: string } | undefined;
        if (body?.status === 'connected') {
          pairDurations.push(Date.now() - pairOneStarted);
          return { instanceId, customer, phone, contact };
        }
      }
      await sleep(250);
    }
  };
  await Promise.all(
    Array.from({ length: pairConcurrency }, async () => {
      while (nextPair < sessionCount) {
        const index = nextPair++;
        sessions[index] = await pairOne(index);
        if ((index + 1) % 100 === 0)
          console.log(
            `  paired ${index + 1}/${sessionCount} in ${fmt((Date.now() - pairStarted) / 1000, 1)} s (load ${load()})`,
          );
      }
    }),
  );
  const pairS = (Date.now() - pairStarted) / 1000;
  // Placement as the workers report it (the registry refreshes on their heartbeat).
  await sleep(2_000);
  const ready = (await (await fetch(`${system.gatewayUrl}/readyz`)).json()) as {
    workers: Array<{ worker_id: string; sessions: number; capacity: number }>;
  };
  const placement = ready.workers.map((w) => `${w.worker_id} ${w.sessions}/${w.capacity}`).join(', ');
  pairDurations.sort((a, b) => a - b);
  const pairing =
    `${sessionCount} sessions paired in ${fmt(pairS, 1)} s, ${pairConcurrency} at a time ` +
    `(create → connected p50 ${fmt(percentile(pairDurations, 50) / 1000, 1)} s, ` +
    `p99 ${fmt(percentile(pairDurations, 99) / 1000, 1)} s); placement: ${placement}`;
  console.log(pairing);

  // Traffic ---------------------------------------------------------------------------------------------------
  interface Send {
    messageId?: string;
    session: Session;
    issuedAt: number;
    /** The HTTP status, 0 when no response came; unset while the request is in flight. */
    status?: number;
    waId?: string;
  }
  const sends: Send[] = [];
  /** Every message the contacts' phones decrypted, by WhatsApp id: how often, and when first. */
  const onPhone = new Map<string, { count: number; at: number }>();
  let duplicatesIgnored = 0;
  sim.events.on('event', (event: SimEvent) => {
    if (event.type === 'phone.duplicate_ignored') duplicatesIgnored++;
    if (event.type !== 'phone.received' || event.ownDeviceCopy) return;
    const seen = onPhone.get(event.id);
    if (seen) seen.count++;
    else onPhone.set(event.id, { count: 1, at: event.at });
  });
  const phoneOf = (send: Send) => (send.waId ? onPhone.get(send.waId) : undefined);

  let sequence = 0;
  const sendOne = (session: Session) => {
    const n = sequence++;
    const send: Send = { session, issuedAt: Date.now() };
    sends.push(send);
    void call(
      system!,
      session.customer,
      'POST /v1/instances/{id}/messages',
      `/v1/instances/${session.instanceId}/messages`,
      {
        method: 'POST',
        json: { to: session.contact, type: 'text', text: `load send ${n}` },
        headers: { 'Idempotency-Key': `load-${n}` },
      },
    ).then(async (res) => {
      send.status = res?.status ?? 0; // 0: no response
      if (res?.status !== 202) return;
      const { id } = (await res.json()) as { id: string };
      send.messageId = id;
      send.waId = waMessageIdFor(id);
    });
  };

  let inboundSeq = 0;
  const inbound: Array<{ text: string; sentAt: number; session: Session }> = [];
  const inboundOne = (session: Session) => {
    const text = `load inbound ${inboundSeq++}`;
    const entry = { sentAt: Date.now() };
    inboundByText.set(text, entry);
    inbound.push({ text, sentAt: entry.sentAt, session });
    sim
      .sendText(session.contact, session.phone, text)
      .catch((error: Error) => countError(`wa-sim sendText → ${error.message}`));
  };

  /** Open loop at `rate` per second until `stopAt`, round robin over the sessions. */
  const paced = async (rate: number, stopAt: number, fire: (index: number) => void) => {
    const started = Date.now();
    let fired = 0;
    while (Date.now() < stopAt) {
      const due = Math.floor(((Date.now() - started) * rate) / 1000) + 1;
      while (fired < due) fire(fired++);
      await sleep(Math.max(1, started + (fired * 1000) / rate - Date.now()));
    }
  };

  // Warm-up: the first message of every pair starts its Signal sessions (prekey fetches), then the rates run.
  console.log('warm-up: one message each way per session to open the Signal sessions');
  const warmStarted = Date.now();
  for (let i = 0; i < sessions.length; i++) {
    sendOne(sessions[i]!);
    if (i % 20 === 19) await sleep(1_000);
  }
  for (const session of sessions) {
    inboundOne(session);
    await sleep(1_000 / (inboundRate * 2));
  }
  const warmDeadline = Date.now() + 180_000;
  while (
    (sends.some((s) => s.status === 202 && !phoneOf(s)) ||
      inbound.some((i) => inboundByText.get(i.text)?.hookAt === undefined)) &&
    Date.now() < warmDeadline
  )
    await sleep(500);
  console.log(`  first messages done in ${fmt((Date.now() - warmStarted) / 1000, 1)} s (load ${load()})`);

  const series: SeriesRow[] = [];
  const pids = () => [...services.map((s) => s.child.pid), process.pid];
  const names = [...services.map((s) => s.name), 'load script (wa-sim, receiver, clients)'];
  let previous = pids().map(procSample);
  let previousAt = Date.now();
  const takeSample = () => {
    const now = Date.now();
    const current = pids().map(procSample);
    const row: SeriesRow = {
      at: now,
      load: load(),
      sent: sends.length,
      inbound: inbound.length,
      procs: current.map((c, i) => ({
        ...c,
        cpuPct: ((c.cpuS - previous[i]!.cpuS) / ((now - previousAt) / 1000)) * 100,
      })),
    };
    previous = current;
    previousAt = now;
    series.push(row);
    console.log(
      `  t=${fmt((now - span.start) / 1000)} s  load ${row.load}  ` +
        row.procs
          .map((p, i) => `${names[i]!.split(' (')[0]} ${fmt(p.rssMb)} MB ${fmt(p.cpuPct)} %`)
          .join(' | '),
    );
  };

  const trafficStarted = Date.now();
  span.start = trafficStarted + warmupS * 1000;
  span.end = span.start + durationS * 1000;
  const sampler = setInterval(takeSample, sampleS * 1000);
  console.log(`traffic: ${warmupS} s warm-up at the full rates, then ${durationS} s measured`);
  await Promise.all([
    paced(sendRate, span.end, (i) => sendOne(sessions[i % sessions.length]!)),
    paced(inboundRate, span.end, (i) => inboundOne(sessions[(i * 7 + 3) % sessions.length]!)),
  ]);
  clearInterval(sampler);
  takeSample();

  // Drain: everything accepted reaches its phone, every published event its receiver -----------------------
  const drainStarted = Date.now();
  const missingEvents = () => [...published.keys()].filter((id) => !received.has(id));
  while (Date.now() - drainStarted < 120_000) {
    drainReceiver();
    const pendingSends = sends.filter((s) => s.status === undefined || (s.status === 202 && !phoneOf(s)));
    if (pendingSends.length === 0 && missingEvents().length === 0) break;
    await sleep(500);
  }
  await sleep(3_000); // late duplicates
  drainReceiver();
  clearInterval(receiverTimer);
  const drainS = (Date.now() - drainStarted) / 1000;

  // Accepted sends that never reached the phone must be `failed` with a code.
  const accepted = sends.filter((s) => s.status === 202);
  const notOnPhone = accepted.filter((s) => !phoneOf(s));
  const unexplained: string[] = [];
  const failedCodes = new Map<string, number>();
  for (const send of notOnPhone) {
    const res = await call(
      system,
      send.session.customer,
      'GET /v1/instances/{id}/messages/{id}',
      `/v1/instances/${send.session.instanceId}/messages/${send.messageId}`,
    );
    const body = (await res?.json()) as { status?: string; error?: { code?: string } | null } | undefined;
    if (body?.status === 'failed' && body.error?.code)
      failedCodes.set(body.error.code, (failedCodes.get(body.error.code) ?? 0) + 1);
    else unexplained.push(`${send.messageId} ${body?.status ?? res?.status}`);
  }
  const twice = accepted.filter((s) => (phoneOf(s)?.count ?? 0) > 1).length;
  const missing = missingEvents();
  const duplicateDeliveries = [...received.values()].reduce((sum, n) => sum + (n - 1), 0);
  const inboundMissing = inbound.filter((i) => inboundByText.get(i.text)?.hookAt === undefined).length;

  // Report ----------------------------------------------------------------------------------------------------
  const inWindow = (at: number) => at >= span.start && at <= span.end;
  const windowSends = sends.filter((s) => inWindow(s.issuedAt));
  const windowAccepted = windowSends.filter((s) => s.status === 202);
  const windowOnPhone = windowAccepted.filter((s) => phoneOf(s));
  const windowInbound = inbound.filter((i) => inWindow(i.sentAt));
  console.log(`\n${machine()}`);
  console.log(`setup: ${pairing}; ${customerCount} customers; drain after traffic ${fmt(drainS, 1)} s`);

  console.log(`\nThroughput (measured window ${durationS} s)`);
  console.log('| what | offered | count | per second |');
  console.log('|---|---|---|---|');
  console.log(
    `| sends accepted (202) | ${sendRate}/s | ${windowAccepted.length} of ${windowSends.length} | ${fmt(windowAccepted.length / durationS, 1)} |`,
  );
  console.log(
    `| sends on the contact's phone | | ${windowOnPhone.length} | ${fmt(windowOnPhone.length / durationS, 1)} |`,
  );
  console.log(
    `| inbound sent by phones | ${inboundRate}/s | ${windowInbound.length} | ${fmt(windowInbound.length / durationS, 1)} |`,
  );
  const hooksInWindow = [...hookLatency.values()].reduce((sum, l) => sum + l.length, 0);
  console.log(`| webhooks received (verified) | | ${hooksInWindow} | ${fmt(hooksInWindow / durationS, 1)} |`);

  const stats = (list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    return `${sorted.length} | ${fmt(percentile(sorted, 50))} ms | ${fmt(percentile(sorted, 99))} ms | ${fmt(sorted.at(-1) ?? Number.NaN)} ms`;
  };
  console.log('\nLatency (measured window)');
  console.log('| what | n | p50 | p99 | max |');
  console.log('|---|---|---|---|---|');
  for (const [label, list] of [...apiLatency].sort()) console.log(`| API ${label} | ${stats(list)} |`);
  console.log(`| send → contact's phone | ${stats(windowOnPhone.map((s) => phoneOf(s)!.at - s.issuedAt))} |`);
  console.log(
    `| inbound: phone sends → message.received webhook | ${stats(
      windowInbound.flatMap((i) => {
        const hookAt = inboundByText.get(i.text)?.hookAt;
        return hookAt ? [hookAt - i.sentAt] : [];
      }),
    )} |`,
  );
  for (const [type, list] of [...hookLatency].sort())
    console.log(`| event created_at → webhook: ${type} | ${stats(list)} |`);

  console.log(
    `\nRSS (MB) and CPU (% of one core) per process, every ${sampleS} s; t from the start of the measured window`,
  );
  const cores = availableParallelism();
  const servicesCpu = (row: SeriesRow) =>
    row.procs.slice(0, services.length).reduce((sum, p) => sum + p.cpuPct, 0) / cores;
  console.log(`| t | load average | ${names.join(' | ')} | services' CPU, % of ${cores} cores |`);
  console.log(`|---|---|${names.map(() => '---|').join('')}---|`);
  for (const row of series)
    console.log(
      `| ${fmt((row.at - span.start) / 1000)} s | ${row.load} | ${row.procs.map((p) => `${fmt(p.rssMb)} MB, ${fmt(p.cpuPct)} %`).join(' | ')} | ${fmt(servicesCpu(row))} % |`,
    );
  const half = span.start + (durationS * 1000) / 2;
  // Too few samples per half for an envelope: judged from 5 minutes up.
  const judgeGrowth = durationS >= 300;
  /** Service index → its heap-probe record over the measured window, for the services that have one. */
  const heapProbed = new Map<number, (readonly [number, number])[]>();
  if (flags['heap-probe'])
    services.forEach((service, i) => {
      const points = heapAfterGc(service.child.pid).filter(([at]) => at >= span.start - 10_000);
      if (points.some(([at]) => at >= half)) heapProbed.set(i, points);
    });
  console.log(
    `\nRSS after warm-up: first and second half of the measured window (trough–peak), the rise of the ` +
      `second half's peak and trough over the first's (target ≤ ${MAX_RSS_RISE_MB} MB each), and the ` +
      `least-squares slope over the second half${judgeGrowth ? '' : '; not judged under a 300 s window'}`,
  );
  console.log(
    '| process | first half | second half | peak rise | trough rise | slope, second half | no growth |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (let i = 0; i < names.length; i++) {
    const rss = (rows: SeriesRow[]) => rows.map((r) => r.procs[i]!.rssMb);
    const first = rss(series.filter((r) => r.at >= span.start - 1_000 && r.at < half));
    const second = rss(series.filter((r) => r.at >= half));
    const peakRise = Math.max(...second) - Math.max(...first);
    const troughRise = Math.min(...second) - Math.min(...first);
    const growth = slope(
      series
        .filter((r) => r.at >= half && r.at <= span.end + sampleS * 1000)
        .map((r) => [r.at, r.procs[i]!.rssMb]),
    );
    const growthOk = peakRise <= MAX_RSS_RISE_MB && troughRise <= MAX_RSS_RISE_MB;
    // The load script keeps every send and event it checks, so its own growth is expected and not judged;
    // a process with a heap probe is judged on its heap after GC (below).
    const judged = judgeGrowth && i < services.length && !heapProbed.has(i);
    if (judged) ok &&= growthOk;
    const verdict = judged ? pass(growthOk) : heapProbed.has(i) ? 'heap probed (below)' : 'not judged';
    console.log(
      `| ${names[i]} | ${fmt(Math.min(...first))}–${fmt(Math.max(...first))} MB | ` +
        `${fmt(Math.min(...second))}–${fmt(Math.max(...second))} MB | ${fmt(peakRise)} MB | ${fmt(troughRise)} MB | ` +
        `${fmt(growth, 1)} MB/min | ${verdict} |`,
    );
  }
  if (heapProbed.size > 0) {
    console.log(
      `\nHeap after a full GC (--heap-probe, every 10 s): at the start, the middle and the end of the measured ` +
        `window, and the least-squares slope over its second half (target ≤ ${MAX_HEAP_SLOPE_MB_PER_MIN} MB/min` +
        `${judgeGrowth ? '' : '; not judged under a 300 s window'})`,
    );
    console.log('| process | start | middle | end | slope, second half | no growth |');
    console.log('|---|---|---|---|---|---|');
    const nearest = (points: (readonly [number, number])[], at: number) =>
      points.reduce((best, p) => (Math.abs(p[0] - at) < Math.abs(best[0] - at) ? p : best))[1];
    for (const [i, points] of heapProbed) {
      const heapSlope = slope(points.filter(([at]) => at >= half && at <= span.end + 10_000));
      const heapOk = heapSlope <= MAX_HEAP_SLOPE_MB_PER_MIN;
      if (judgeGrowth) ok &&= heapOk;
      console.log(
        `| ${names[i]} | ${fmt(nearest(points, span.start), 1)} MB | ${fmt(nearest(points, half), 1)} MB | ` +
          `${fmt(nearest(points, span.end), 1)} MB | ${fmt(heapSlope, 2)} MB/min | ${judgeGrowth ? pass(heapOk) : 'not judged'} |`,
      );
    }
  }

  console.log('\nErrors (whole run, pairing included)');
  if (errors.size === 0) console.log('none');
  for (const [key, n] of [...errors].sort()) console.log(`- ${key}: ${n}`);
  const failedEvents = [...published.values()].filter((e) => e.type === 'message.failed').length;
  console.log(
    `- message.failed events: ${failedEvents}; wa-sim duplicates ignored by phones: ${duplicatesIgnored}`,
  );

  // Refused sends (not accepted) are counted under Errors; the invariant is about what was accepted.
  const sendsOk = unexplained.length === 0 && twice === 0;
  const eventsOk = missing.length === 0;
  const inboundOk = inboundMissing === 0;
  ok &&= sendsOk && eventsOk && inboundOk && errors.size === 0;
  console.log('\nInvariants (whole run)');
  console.log(
    `- ${pass(sendsOk)} sends: ${sends.length} issued, ${accepted.length} accepted; ${accepted.length - notOnPhone.length} on the phone ` +
      `(${twice} more than once), ${notOnPhone.length - unexplained.length} failed with a code ` +
      `${JSON.stringify(Object.fromEntries(failedCodes))}, ${unexplained.length} unexplained${unexplained.length ? ` (${unexplained.slice(0, 5).join(', ')})` : ''}`,
  );
  console.log(
    `- ${pass(eventsOk)} events: ${published.size} published, ${published.size - missing.length} reached the receiver ` +
      `(${verified} deliveries verified, ${duplicateDeliveries} duplicates), ${missing.length} missing` +
      (missing.length
        ? ` (${Object.entries(
            missing.reduce<Record<string, number>>((acc, id) => {
              const type = published.get(id)!.type;
              acc[type] = (acc[type] ?? 0) + 1;
              return acc;
            }, {}),
          )
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')})`
        : ''),
  );
  console.log(
    `- ${pass(inboundOk)} inbound: ${inbound.length} sent by phones, ${inbound.length - inboundMissing} came back as message.received webhooks`,
  );
  console.log(`\n${pass(ok)} (load average at the end ${load()})`);
  feedsOpen.abort();
} catch (error) {
  ok = false;
  console.error(error);
  for (const service of system?.services ?? [])
    console.error(`--- ${service.name} (last lines)\n${service.output().split('\n').slice(-20).join('\n')}`);
} finally {
  await system?.close().catch((error: Error) => console.error(`cleanup: ${error.message}`));
}
process.exit(ok ? 0 : 1);
