// Benchmark: authenticated, rate-limited GET /v1/instances/:id on the real gateway process, side by side with
// two references on @hono/node-server (hello world; the same work by hand), in interleaved rounds so that
// machine noise hits all three alike. Prints figures and PASS/FAIL against the targets; asserts nothing.
//   node test/bench/gateway.ts [--duration 10] [--rounds 3] [--warmup 3] [--connections 50] [--cpu-prof DIR]
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createDb, insertInstance } from '@whatisup/db';
import { createTestDatabase } from '@whatisup/db/testing';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createApiKey, createCustomer, setRateLimit } from '../../services/gateway/src/admin/operations.ts';

const TARGETS = { gatewayShare: 0.8, p99Ms: 20 };

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'string' },
  },
  strict: true,
});
const durationS = positiveInt('duration');
const rounds = positiveInt('rounds');
const warmupS = positiveInt('warmup');
const connections = positiveInt('connections');

function positiveInt(name: 'duration' | 'rounds' | 'warmup' | 'connections'): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer, got "${flags[name]}"`);
    process.exit(2);
  }
  return value;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const ROOT = new URL('../../', import.meta.url);
const runId = randomBytes(4).toString('hex');
const redisKeyPrefix = `wiu-bench-${runId}:`;

interface Server {
  name: string;
  path: string;
  child: ChildProcess;
  stderr: string[];
}

interface Round {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU time of the server process (all threads) per request; NaN where /proc is missing. */
  cpuUsPerRequest: number;
}

const servers: Server[] = [];
const database = await createTestDatabase();
const dbHandle = createDb(database.url, { max: 2 });
const redis = new Redis(REDIS_URL, { lazyConnect: true });
let cleaningUp: Promise<void> | undefined;
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

let valid = false;
try {
  const customer = await createCustomer(dbHandle.db, 'bench');
  const apiKey = await createApiKey(dbHandle.db, customer.id, 'bench');
  await setRateLimit(dbHandle.db, customer.id, { burst: 1_000_000, perSecond: 1_000_000 });
  const instance = await insertInstance(dbHandle.db, { customerId: customer.id, name: 'bench' });
  const instancePath = `/v1/instances/${instance.id}`;
  const headers = { authorization: `Bearer ${apiKey.key}` };

  const common = { DATABASE_URL: database.url, REDIS_URL, REDIS_KEY_PREFIX: redisKeyPrefix };
  const cpuProf = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
  const gateway = await start('gateway', instancePath, [...cpuProf, 'services/gateway/src/main.ts'], {
    ...common,
    NATS_URL,
    NATS_PREFIX: `wiubench${runId}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
    MIGRATE_ON_START: 'false',
  });
  const minimal = await start(
    'minimal handler',
    instancePath,
    ['test/bench/references/minimal-handler.ts'],
    common,
  );
  const hello = await start('hello world', '/', ['test/bench/references/hello-world.ts'], {});
  await checkSameBody(gateway, minimal, headers);

  console.log(machine());
  console.log(
    `${connections} connections, pipelining 1, ${warmupS} s warm-up each, ` +
      `${rounds} interleaved rounds of ${durationS} s\n`,
  );
  for (const server of servers) await load(server, headers, warmupS);
  const results = new Map<Server, Round[]>(servers.map((server) => [server, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const server of servers) {
      const result = await load(server, headers, durationS);
      results.get(server)!.push(result);
      console.log(
        `  round ${round} ${server.name.padEnd(16)} ${fmt(result.requestsPerSecond, 0).padStart(7)} req/s` +
          `  p50 ${result.p50} ms  p99 ${result.p99} ms  CPU ${fmt(result.cpuUsPerRequest, 0)} µs/request`,
      );
    }
  }
  valid = report(results.get(gateway)!, results.get(minimal)!, results.get(hello)!);
} catch (error) {
  console.error(`benchmark failed: ${(error as Error).message}`);
  for (const server of servers) {
    if (server.stderr.length > 0) console.error(`--- ${server.name} stderr:\n${server.stderr.join('')}`);
  }
} finally {
  await cleanup();
}
process.exit(valid ? 0 : 1);

async function start(
  name: string,
  path: string,
  args: string[],
  env: Record<string, string>,
): Promise<Server> {
  const port = await freePort();
  // stdout is discarded, not piped: the gateway's request log is serialized and written as in production,
  // without this process paying to read it.
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const server: Server = { name, path: `http://127.0.0.1:${port}${path}`, child, stderr: [] };
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => server.stderr.push(chunk));
  servers.push(server);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ok = await fetch(server.path, { headers: { authorization: 'Bearer none' } }).then(
      () => true,
      () => false,
    );
    if (ok) return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not start listening (exit code ${child.exitCode})`);
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The reference must answer what the gateway answers, or the comparison is meaningless. */
async function checkSameBody(gateway: Server, minimal: Server, headers: Record<string, string>) {
  const [a, b] = await Promise.all([fetch(gateway.path, { headers }), fetch(minimal.path, { headers })]);
  const [bodyA, bodyB] = await Promise.all([a.text(), b.text()]);
  if (a.status !== 200 || b.status !== 200) {
    throw new Error(`pre-flight: gateway ${a.status} ${bodyA}; minimal handler ${b.status} ${bodyB}`);
  }
  if (bodyA !== bodyB) throw new Error(`pre-flight: bodies differ:\n  ${bodyA}\n  ${bodyB}`);
}

async function load(server: Server, headers: Record<string, string>, seconds: number): Promise<Round> {
  const cpuBefore = cpuMs(server);
  const result = await autocannon({
    url: server.path,
    headers,
    connections,
    pipelining: 1,
    duration: seconds,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuUsPerRequest: ((cpuMs(server) - cpuBefore) * 1000) / result.requests.total,
  };
}

/** User + system CPU time of a child so far, from /proc (Linux; clock ticks are 10 ms there). */
function cpuMs(server: Server): number {
  try {
    const stat = readFileSync(`/proc/${server.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

function report(gatewayRounds: Round[], minimalRounds: Round[], helloRounds: Round[]): boolean {
  const [gateway, minimal, hello] = [gatewayRounds, minimalRounds, helloRounds].map(summarize) as [
    Summary,
    Summary,
    Summary,
  ];
  const row = (name: string, s: Summary) => [
    name,
    fmt(s.requestsPerSecond, 0),
    fmt(s.p50, 1),
    fmt(s.p99, 1),
    fmt(s.cpuUsPerRequest, 0),
    String(s.requests),
    String(s.bad),
  ];
  console.log('');
  table(
    ['server', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'requests', 'non-2xx + errors'],
    [row('gateway', gateway), row('minimal handler', minimal), row('hello world', hello)],
  );

  const shareOfMinimal = gateway.requestsPerSecond / minimal.requestsPerSecond;
  const shareOfHello = gateway.requestsPerSecond / hello.requestsPerSecond;
  const perRound = gatewayRounds.map((r, i) => r.requestsPerSecond / minimalRounds[i]!.requestsPerSecond);
  console.log(
    `\ngateway / minimal handler: ${fmt(shareOfMinimal, 2)} ` +
      `(same-round ratios: ${perRound.map((r) => fmt(r, 2)).join(', ')})`,
  );
  console.log(`gateway / hello world:     ${fmt(shareOfHello, 2)}`);
  console.log(
    `server CPU per request, gateway / minimal handler: ${fmt(gateway.cpuUsPerRequest / minimal.cpuUsPerRequest, 2)}`,
  );

  const valid = gateway.bad + minimal.bad + hello.bad === 0;
  if (!valid) console.log('\nINVALID RUN: some responses were not 2xx or failed; the figures mean nothing');
  const verdict = (ok: boolean) => (valid && ok ? 'PASS' : 'FAIL');
  console.log(
    `\n${verdict(shareOfMinimal >= TARGETS.gatewayShare)}  gateway reaches >= ${TARGETS.gatewayShare * 100}% ` +
      `of the minimal handler's req/s (${fmt(shareOfMinimal * 100, 0)}%)`,
  );
  console.log(
    `${verdict(gateway.p99 < TARGETS.p99Ms)}  gateway p99 < ${TARGETS.p99Ms} ms at ${connections} connections ` +
      `(${fmt(gateway.p99, 1)} ms)`,
  );
  return valid;
}

interface Summary {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  cpuUsPerRequest: number;
  requests: number;
  bad: number;
}

function summarize(rounds: Round[]): Summary {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    bad: rounds.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function fmt(value: number, digits: number): string {
  return value.toFixed(digits);
}

function table(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}

function machine(): string {
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return (
    `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${gib} GiB RAM, ` +
    `Node ${process.version}, load average before the run ${load}`
  );
}

async function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    await Promise.all(servers.map(stop));
    await dbHandle.close();
    await database.drop();
    await redis.connect().catch(() => {});
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisKeyPrefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  })();
  return cleaningUp;
}

async function stop(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
