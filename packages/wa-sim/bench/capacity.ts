// Capacity benchmark (not part of the test run): one simulator process holding N linked devices and relaying
// 1:1 message stanzas between them. Clients are raw protocol clients (bench/raw-device.ts) spread over worker
// processes; payloads are opaque (the simulator relays device-to-device stanzas without decrypting them).
//   node packages/wa-sim/bench/capacity.ts --devices 1000 --workers 2 --rates 500,1000,2000 --seconds 10
import { type ChildProcess, fork } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '2' },
    rates: { type: 'string', default: '500,1000,2000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
  },
});
const deviceCount = Number(values.devices);
const workerCount = Number(values.workers);
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);

type Message = { type: string } & Record<string, unknown>;

function start(script: string): ChildProcess {
  return fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next(child: ChildProcess, type: string, timeoutMs = 600_000): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs);
    const listener = (message: Message) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
  });
}

async function ask(child: ChildProcess, type: string): Promise<Message> {
  const reply = next(child, type);
  child.send({ type });
  return reply;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const sim = start('./sim-process.ts');
const ready = await next(sim, 'ready');
const baseline = await ask(sim, 'measure');
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, ${mb(totalmem())} RAM, node ${process.version}`,
);
console.log(`simulator idle: rss ${mb((baseline.memory as NodeJS.MemoryUsage).rss)}`);

const workers = Array.from({ length: workerCount }, () => start('./client-worker.ts'));
const perWorker = Math.ceil(deviceCount / workerCount);
const setupStarted = Date.now();
const setups = workers.map((worker, w) => {
  const msisdns = Array.from({ length: Math.min(perWorker, deviceCount - w * perWorker) }, (_, i) =>
    String(4_900_000_000 + w * perWorker + i),
  );
  const done = next(worker, 'ready');
  worker.send({ ...ready, type: 'setup', msisdns, concurrency: Number(values.concurrency) });
  return done;
});
const groups = (await Promise.all(setups)).map((r) => r.devices as Array<{ user: string; jid: string }>);
const setupMs = Date.now() - setupStarted;
const held = await ask(sim, 'measure');
const heldStats = held.stats as { onlineDevices: number };
const heldRss = (held.memory as NodeJS.MemoryUsage).rss;
console.log(
  `paired + logged in ${deviceCount} devices in ${(setupMs / 1000).toFixed(1)} s (${(deviceCount / (setupMs / 1000)).toFixed(0)}/s); ` +
    `online ${heldStats.onlineDevices}; simulator rss ${mb(heldRss)} ` +
    `(${((heldRss - (baseline.memory as NodeJS.MemoryUsage).rss) / deviceCount / 1024).toFixed(0)} KB per device)`,
);

let previousReceived = 0;
for (const rate of rates) {
  const before = await ask(sim, 'measure');
  const cpuBefore = before.cpu as NodeJS.CpuUsage;
  const relayedBefore = (before.stats as { messagesRelayed: number }).messagesRelayed;
  const started = Date.now();
  // the simulator's own relay rate, sampled every second while the clients send
  let peakPerSecond = 0;
  let lastRelayed = relayedBefore;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const relayed = ((await ask(sim, 'measure')).stats as { messagesRelayed: number }).messagesRelayed;
      peakPerSecond = Math.max(peakPerSecond, relayed - lastRelayed);
      lastRelayed = relayed;
    }
  })();
  const sentReplies = workers.map((worker, w) => {
    const reply = next(worker, 'sent');
    const targets = groups[(w + 1) % groups.length]!;
    worker.send({ type: 'blast', targets, ratePerSecond: rate / workerCount, seconds });
    return reply;
  });
  const sent = (await Promise.all(sentReplies)).reduce((sum, r) => sum + (r.sent as number), 0);
  let reports: Message[] = [];
  const drainDeadline = Date.now() + 30_000;
  for (;;) {
    reports = await Promise.all(workers.map((worker) => ask(worker, 'report')));
    const received = reports.reduce((sum, r) => sum + (r.received as number), 0) - previousReceived;
    if (received >= sent || Date.now() > drainDeadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const elapsed = (Date.now() - started) / 1000;
  sampling = false;
  await sampler;
  const after = await ask(sim, 'measure');
  const cpuAfter = after.cpu as NodeJS.CpuUsage;
  const totalReceived = reports.reduce((sum, r) => sum + (r.received as number), 0);
  const received = totalReceived - previousReceived;
  previousReceived = totalReceived;
  const cpuSeconds = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / 1e6;
  const p99 = Math.max(...reports.map((r) => (r.p99 as number | null) ?? 0));
  console.log(
    `offered ${rate}/s for ${seconds} s: sent ${sent}, delivered ${received} in ${elapsed.toFixed(1)} s = ` +
      `${(received / elapsed).toFixed(0)} msg/s delivered (simulator relay peak ${peakPerSecond}/s in one second); ` +
      `simulator CPU ${((cpuSeconds / elapsed) * 100).toFixed(0)}% of one core = ${((cpuSeconds * 1000) / received).toFixed(2)} ms CPU per message; ` +
      `latency p99 ≤ ${p99} ms (cumulative); simulator rss ${mb((after.memory as NodeJS.MemoryUsage).rss)}`,
  );
}

for (const worker of workers) worker.send({ type: 'stop' });
sim.send({ type: 'stop' });
