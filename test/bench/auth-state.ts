// Worker auth-state store: the chosen design (creds.json + group-committed key log, services/worker/src/
// auth-state) against the alternatives, node:sqlite in WAL mode and one file per record (temp + fsync +
// rename). Prints pairing cost, steady write throughput with the event-loop delay it causes, and memory and
// file handles with many stores open.
// `pnpm bench auth-state [--stores=1000] [--seconds=3] [--writers=100] [--rate=200]`
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { openAuthStore } from '../../services/worker/src/auth-state/index.ts';

const flag = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const STORES = flag('stores', 1000);
const SECONDS = flag('seconds', 3);
const WRITERS = flag('writers', 100);
const RATE = flag('rate', 200);
const SELF = fileURLToPath(import.meta.url);

/** Baileys' SignalDataSet, loosely: the bench package does not depend on Baileys. */
type SignalDataSet = Record<string, Record<string, unknown>>;

type Kind = 'log' | 'sqlite-full' | 'sqlite-normal' | 'files';

interface Candidate {
  set(data: SignalDataSet): Promise<void>;
  get(type: string, ids: string[]): Promise<Record<string, unknown>>;
  saveCreds(): Promise<void>;
  close(): Promise<void>;
}

const encode = (value: unknown) =>
  Buffer.from(
    JSON.stringify(value, (_k, v) =>
      v?.type === 'Buffer' && Array.isArray(v.data)
        ? { type: 'Buffer', data: Buffer.from(v.data).toString('base64') }
        : v,
    ),
  );

/** node:sqlite with the same group commit (everything issued in one event-loop turn is one transaction). */
class SqliteCandidate implements Candidate {
  readonly #db: DatabaseSync;
  readonly #put: StatementSync;
  readonly #del: StatementSync;
  readonly #get: StatementSync;
  #queue: [string, Buffer | null][] = [];
  #waiters: (() => void)[] = [];
  readonly #creds = sampleCreds;

  constructor(path: string, synchronous: 'FULL' | 'NORMAL') {
    this.#db = new DatabaseSync(path);
    this.#db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${synchronous}; PRAGMA cache_size=-64;
      CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID`);
    this.#put = this.#db.prepare(
      'INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v',
    );
    this.#del = this.#db.prepare('DELETE FROM kv WHERE k = ?');
    this.#get = this.#db.prepare('SELECT v FROM kv WHERE k = ?');
  }

  set(data: SignalDataSet): Promise<void> {
    for (const [type, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        this.#queue.push([`${type}/${id}`, value == null ? null : encode(value)]);
      }
    }
    return this.#commit();
  }

  saveCreds(): Promise<void> {
    this.#queue.push(['creds', encode(this.#creds)]);
    return this.#commit();
  }

  async get(type: string, ids: string[]): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const id of ids) {
      const row = this.#get.get(`${type}/${id}`) as { v: Uint8Array } | undefined;
      if (row) out[id] = JSON.parse(Buffer.from(row.v).toString());
    }
    return out;
  }

  #commit(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      if (this.#waiters.length > 1) return;
      setImmediate(() => {
        const queue = this.#queue;
        const waiters = this.#waiters;
        this.#queue = [];
        this.#waiters = [];
        this.#db.exec('BEGIN');
        for (const [key, value] of queue) {
          if (value) this.#put.run(key, value);
          else this.#del.run(key);
        }
        this.#db.exec('COMMIT');
        for (const waiter of waiters) waiter();
      });
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/** One file per record: temp + fsync + rename each, one fsync of the directory per batch. */
class FilesCandidate implements Candidate {
  readonly #dir: string;
  readonly #creds = sampleCreds;
  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  async #write(name: string, bytes: Buffer): Promise<void> {
    const temp = join(this.#dir, `${name}.tmp-${randomBytes(4).toString('hex')}`);
    const handle = await open(temp, 'wx', 0o600);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    await rename(temp, join(this.#dir, name));
  }
  async #syncDir(): Promise<void> {
    const handle = await open(this.#dir, 'r');
    await handle.sync();
    await handle.close();
  }
  async set(data: SignalDataSet): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [type, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        writes.push(this.#write(`${type}-${encodeURIComponent(id)}`, encode(value)));
      }
    }
    await Promise.all(writes);
    await this.#syncDir();
  }
  async saveCreds(): Promise<void> {
    await this.#write('creds.json', encode(this.#creds));
    await this.#syncDir();
  }
  async get(): Promise<Record<string, unknown>> {
    return {};
  }
  async close(): Promise<void> {}
}

async function openCandidate(kind: Kind, dir: string): Promise<Candidate> {
  if (kind === 'sqlite-full' || kind === 'sqlite-normal') {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new SqliteCandidate(join(dir, 'auth.db'), kind === 'sqlite-full' ? 'FULL' : 'NORMAL');
  }
  if (kind === 'files') return new FilesCandidate(dir);
  const store = await openAuthStore(dir);
  return {
    set: (data) => Promise.resolve(store.state.keys.set(data as Parameters<typeof store.state.keys.set>[0])),
    get: (type, ids) => Promise.resolve(store.state.keys.get(type as 'session', ids)),
    saveCreds: () => store.saveCreds(),
    close: () => store.close(),
  };
}

function preKeys(count: number): SignalDataSet {
  const keys: Record<string, { public: Buffer; private: Buffer }> = {};
  for (let id = 1; id <= count; id++) keys[id] = { public: randomBytes(32), private: randomBytes(32) };
  return { 'pre-key': keys };
}

/** What one message costs Baileys' key store: the peer's session record and the sender-key memory. */
function messageWrite(peer: number): SignalDataSet {
  return {
    session: { [`1555${String(peer).padStart(6, '0')}.0`]: randomBytes(1500) },
    'sender-key-memory': { 'group@g.us': { [`1555${peer}@s.whatsapp.net`]: true } },
  };
}

async function pairing(kind: Kind, root: string): Promise<string> {
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const store = await openCandidate(kind, join(root, `pair-${kind}-${run}`));
    const data = preKeys(812);
    const started = performance.now();
    await store.set(data);
    await store.saveCreds();
    times.push(performance.now() - started);
    await store.close();
  }
  times.sort((a, b) => a - b);
  return `${times[2]!.toFixed(1)} ms (median of 5)`;
}

async function throughput(kind: Kind, root: string): Promise<string> {
  const stores = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) => openCandidate(kind, join(root, `tp-${kind}-${i}`))),
  );
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const deadline = performance.now() + SECONDS * 1000;
  let messages = 0;
  await Promise.all(
    stores.map(async (store, i) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await store.set(messageWrite((i * 7 + n) % 300));
        messages++;
      }
    }),
  );
  delay.disable();
  await Promise.all(stores.map((s) => s.close()));
  const perSecond = messages / SECONDS;
  return `${perSecond.toFixed(0)} msg/s (${(perSecond * 2).toFixed(0)} key writes/s), event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms max ${(delay.max / 1e6).toFixed(1)} ms`;
}

/** A worker's real load: WRITERS stores sharing RATE msg/s; commit latency and event-loop delay. */
async function paced(kind: Kind, root: string): Promise<string> {
  const stores = await Promise.all(
    Array.from({ length: WRITERS }, (_, i) => openCandidate(kind, join(root, `paced-${kind}-${i}`))),
  );
  const interval = (WRITERS / RATE) * 1000;
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    stores.map(async (store, i) => {
      await new Promise((r) => setTimeout(r, Math.random() * interval));
      for (let n = 0; performance.now() < deadline; n++) {
        const started = performance.now();
        await store.set(messageWrite((i * 7 + n) % 300));
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, Math.max(0, interval - (performance.now() - started))));
      }
    }),
  );
  delay.disable();
  await Promise.all(stores.map((s) => s.close()));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(1);
  return `${RATE} msg/s offered: commit p50 ${at(0.5)} ms p99 ${at(0.99)} ms, event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms max ${(delay.max / 1e6).toFixed(1)} ms`;
}

/** Child process: open STORES copies of a paired store, read one key from each, report RSS and fds. */
async function memoryChild(kind: Kind, template: string, root: string): Promise<void> {
  for (let i = 0; i < STORES; i++) cpSync(template, join(root, `m-${i}`), { recursive: true });
  globalThis.gc?.();
  const before = process.memoryUsage();
  const fdsBefore = readdirSync('/proc/self/fd').length;
  const stores: Candidate[] = [];
  for (let i = 0; i < STORES; i++) {
    const store = await openCandidate(kind, join(root, `m-${i}`));
    await store.get('pre-key', ['1', '400']);
    await store.get('session', ['1555000001.0']);
    stores.push(store);
  }
  globalThis.gc?.();
  const after = process.memoryUsage();
  const fds = readdirSync('/proc/self/fd').length - fdsBefore;
  const kb = (bytes: number) => (bytes / STORES / 1024).toFixed(1);
  console.log(
    `${kb(after.rss - before.rss)} kB RSS/store, ${kb(after.heapUsed - before.heapUsed)} kB heap/store, ` +
      `${kb(after.external + after.arrayBuffers - before.external - before.arrayBuffers)} kB external/store, ` +
      `${(fds / STORES).toFixed(1)} fds/store`,
  );
  await Promise.all(stores.map((s) => s.close()));
}

async function memory(kind: Kind, root: string): Promise<string> {
  const template = join(root, `template-${kind}`);
  const store = await openCandidate(kind, template);
  await store.set(preKeys(812));
  for (let peer = 0; peer < 20; peer++) await store.set(messageWrite(peer));
  await store.saveCreds();
  await store.close();
  const childRoot = join(root, `mem-${kind}`);
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', SELF, '--child-memory', kind, template, childRoot, `--stores=${STORES}`],
    { encoding: 'utf8' },
  );
  rmSync(childRoot, { recursive: true, force: true });
  if (child.status !== 0) return `failed: ${child.stderr.trim().split('\n').slice(-3).join(' ')}`;
  return `${child.stdout.trim()} (${STORES} open)`;
}

let sampleCreds: unknown;

async function main(): Promise<void> {
  const credsDir = mkdtempSync(join(tmpdir(), 'bench-creds-'));
  const credsStore = await openAuthStore(join(credsDir, 's'));
  sampleCreds = credsStore.state.creds;
  await credsStore.close();
  rmSync(credsDir, { recursive: true, force: true });

  const childAt = process.argv.indexOf('--child-memory');
  if (childAt !== -1) {
    const [kind, template, root] = process.argv.slice(childAt + 1);
    await memoryChild(kind as Kind, template!, root!);
    return;
  }
  const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'bench-auth-state-'));
  try {
    console.log(
      `# auth-state store, ${WRITERS} writers for ${SECONDS} s, ${STORES} stores open, dir ${root}`,
    );
    for (const kind of ['log', 'sqlite-full', 'sqlite-normal', 'files'] as Kind[]) {
      console.log(`${kind}`);
      console.log(`  pairing (812 prekeys + creds): ${await pairing(kind, root)}`);
      if (kind === 'files') continue;
      console.log(`  messages, saturated: ${await throughput(kind, root)}`);
      console.log(`  messages, paced: ${await paced(kind, root)}`);
      console.log(`  memory: ${await memory(kind, root)}`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
