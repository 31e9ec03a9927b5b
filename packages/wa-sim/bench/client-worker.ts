// A child process holding a share of the benchmark's linked devices (raw clients, see raw-device.ts).
import { trustSimulator } from '../src/trust.ts';
import { RawDevice } from './raw-device.ts';

interface Setup {
  url: string;
  controlUrl: string;
  rootPublicKey: string;
  msisdns: string[];
  concurrency: number;
}

interface Blast {
  /** Target devices (jid) to send to, spread round-robin. */
  targets: Array<{ user: string; jid: string }>;
  ratePerSecond: number;
  seconds: number;
}

const devices: RawDevice[] = [];
let received = 0;
let acked = 0;
let errors = 0;
const latencies: number[] = [];

/** A control API call; one retry covers a keep-alive connection closed under us on this loaded machine. */
async function post(url: string, body: unknown, attempt = 1): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  }).catch((error: unknown) => {
    if (attempt < 3) return undefined;
    throw error;
  });
  if (!res) return post(url, body, attempt + 1);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

async function setup({ url, controlUrl, rootPublicKey, msisdns, concurrency }: Setup): Promise<void> {
  trustSimulator({ rootPublicKey });
  const queue = [...msisdns];
  const started = Date.now();
  const run = async () => {
    for (let msisdn = queue.shift(); msisdn; msisdn = queue.shift()) {
      await post(`${controlUrl}/accounts`, { msisdn });
      const device = new RawDevice(msisdn);
      await device.pair(url, (qr) => post(`${controlUrl}/accounts/${msisdn}/scan-qr`, { qr }));
      await device.login(url, {
        onNode: (node) => {
          if (node.tag === 'message' && node.attrs.id?.startsWith('BENCH')) {
            received++;
            const enc = (node.content as Array<{ content: Uint8Array }>)[0]?.content;
            if (enc && enc.length >= 8)
              latencies.push(Date.now() - Number(Buffer.from(enc).readBigUInt64BE(0)));
          }
          if (node.tag === 'ack' && node.attrs.class === 'message') {
            if (node.attrs.error) errors++;
            else acked++;
          }
        },
      });
      devices.push(device);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, run));
  process.send?.({
    type: 'ready',
    devices: devices.map((d) => ({ user: d.msisdn, jid: d.jid })),
    ms: Date.now() - started,
  });
}

async function blast({ targets, ratePerSecond, seconds }: Blast): Promise<void> {
  const total = ratePerSecond * seconds;
  const tickMs = 10;
  const perTick = ratePerSecond / (1000 / tickMs);
  let sent = 0;
  let budget = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      budget += perTick;
      while (budget >= 1 && sent < total) {
        budget -= 1;
        const from = devices[sent % devices.length]!;
        const target = targets[sent % targets.length]!;
        const body = Buffer.alloc(120);
        body.writeBigUInt64BE(BigInt(Date.now()), 0);
        from.sendOpaque(target.user, target.jid, `BENCH${process.pid}x${sent}`, body);
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  process.send?.({ type: 'sent', sent, ms: Date.now() - started });
}

process.on('message', (message: { type: string } & Record<string, unknown>) => {
  if (message.type === 'setup') void setup(message as unknown as Setup);
  if (message.type === 'blast') void blast(message as unknown as Blast);
  if (message.type === 'report') {
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? null;
    process.send?.({
      type: 'report',
      received,
      acked,
      errors,
      p50: pct(0.5),
      p99: pct(0.99),
      memory: process.memoryUsage().rss,
    });
  }
  if (message.type === 'stop') {
    for (const device of devices) device.close();
    setTimeout(() => process.exit(0), 200);
  }
});
