import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Simulator, startSimulator, trustSimulator } from '@whatisup/wa-sim';
import type { AuthenticationState, SignalDataSet } from '@whiskeysockets/baileys';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BaileysClient } from '../../../packages/wa-sim/test/baileys-client.ts';
import {
  AuthStateUnreadableError,
  type AuthStore,
  authStoreExists,
  listStoredSessions,
  openAuthStore,
  readSessionMeta,
  sessionDir,
  sessionsDir,
  sweepWipedSessions,
  wipeAuthStore,
  writeSessionMeta,
} from '../src/auth-state/index.ts';

const CHILD = fileURLToPath(new URL('./auth-state-child.ts', import.meta.url));
const NOBODY = 65534;

let root: string;
const open: AuthStore[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'auth-state-'));
  // the non-root side of the unreadable tests must be able to traverse down to its stores
  chmodSync(root, 0o755);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close().catch(() => {})));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  counter++;
  return sessionDir(join(root, `data-${counter}`), `ins_test${counter}`);
}

async function openTracked(dir: string, options?: Parameters<typeof openAuthStore>[1]): Promise<AuthStore> {
  const store = await openAuthStore(dir, options);
  open.push(store);
  return store;
}

async function reopen(store: AuthStore): Promise<AuthStore> {
  await store.close();
  return openTracked(store.dir);
}

function sampleKeys(): SignalDataSet {
  return {
    'pre-key': { '1': { public: Buffer.from('a'.repeat(32)), private: new Uint8Array([0, 1, 2, 255]) } },
    session: { '15550001.0': new Uint8Array([9, 8, 7, 0, 255]) },
    'sender-key': { 'group@g.us::15550001::0': Buffer.from([1, 2, 3]) },
    'sender-key-memory': { 'group@g.us': { '15550001:0@s.whatsapp.net': true } },
    'app-state-sync-key': {
      AAAAAB4x: {
        keyData: Buffer.from([4, 5, 6]),
        fingerprint: { rawId: 7, currentIndex: 1 },
        timestamp: 1700,
      },
    },
    'app-state-sync-version': {
      regular_high: {
        version: 3,
        hash: Buffer.alloc(128, 1),
        indexValueMap: { abc: { valueMac: Buffer.from([5]) } },
      },
    },
    'lid-mapping': { '15550001': '12345678901234', '12345678901234_reverse': '15550001' },
    'device-list': { '15550001': ['0', '3'] },
    tctoken: { '15550001@s.whatsapp.net': { token: Buffer.from([1, 1]), timestamp: '1700000000' } },
    'identity-key': { '15550001.0': Buffer.alloc(33, 5) },
  };
}

async function readAll(state: AuthenticationState, data: SignalDataSet): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [type, entries] of Object.entries(data)) {
    out[type] = await state.keys.get(type as keyof SignalDataSet, Object.keys(entries ?? {}));
  }
  return out;
}

/** Baileys' values with every Uint8Array as a Buffer, which is what a reload gives back. */
function asBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(asBuffers);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asBuffers(v)]));
  }
  return value;
}

describe('round trip', () => {
  it('keeps creds and every key type byte for byte across close and reopen', async () => {
    const first = await openTracked(freshDir());
    expect(first.exists).toBe(false);
    const data = sampleKeys();
    await first.state.keys.set(data);
    first.state.creds.registered = true;
    first.state.creds.me = { id: '15550001:3@s.whatsapp.net', name: 'Me' };
    first.state.creds.routingInfo = Buffer.from([8, 8, 8]);
    await first.saveCreds();
    const credsBefore = asBuffers(first.state.creds);

    const second = await reopen(first);
    expect(second.exists).toBe(true);
    expect(second.state.creds).toEqual(credsBefore);
    expect(Buffer.isBuffer(second.state.creds.noiseKey.private)).toBe(true);
    const read = await readAll(second.state, data);
    const { 'app-state-sync-key': syncKeys, ...rest } = read;
    const { 'app-state-sync-key': _, ...expected } = data;
    expect(rest).toEqual(asBuffers(expected));
    const syncKey = (syncKeys as Record<string, { keyData: Uint8Array; constructor: { name: string } }>)
      .AAAAAB4x!;
    // Baileys expects the protobuf class here, as its own stores give it
    expect(syncKey.constructor.name).toBe('AppStateSyncKeyData');
    expect(Buffer.from(syncKey.keyData)).toEqual(Buffer.from([4, 5, 6]));
  });

  it('persists deletes (null values) and overwrites, and reads its own writes before they are durable', async () => {
    const store = await openTracked(freshDir());
    await store.state.keys.set(sampleKeys());
    const writing = store.state.keys.set({
      'pre-key': { '1': null },
      session: { '15550001.0': Buffer.from([42]) },
    });
    expect(await store.state.keys.get('pre-key', ['1'])).toEqual({});
    expect(await store.state.keys.get('session', ['15550001.0'])).toEqual({
      '15550001.0': Buffer.from([42]),
    });
    await writing;
    const again = await reopen(store);
    expect(await again.state.keys.get('pre-key', ['1'])).toEqual({});
    expect(await again.state.keys.get('session', ['15550001.0'])).toEqual({
      '15550001.0': Buffer.from([42]),
    });
  });

  it('commits the 812 prekeys of a pairing and many concurrent writes, and keeps them through compaction', async () => {
    const store = await openTracked(freshDir(), { compactMinBytes: 16 * 1024 });
    const preKeys: Record<string, { public: Buffer; private: Buffer }> = {};
    for (let id = 1; id <= 812; id++)
      preKeys[id] = { public: Buffer.alloc(32, id), private: Buffer.alloc(32, -id) };
    await store.state.keys.set({ 'pre-key': preKeys });
    const used = Object.fromEntries(
      Object.keys(preKeys)
        .slice(12)
        .map((id) => [id, null]),
    );
    await store.state.keys.set({ 'pre-key': used });
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        store.state.keys.set({ session: { [`peer${i % 20}.0`]: Buffer.alloc(200, i) } }),
      ),
    );
    const again = await reopen(store);
    const sessions = await again.state.keys.get(
      'session',
      Array.from({ length: 20 }, (_, i) => `peer${i}.0`),
    );
    for (let i = 0; i < 20; i++) expect(sessions[`peer${i}.0`]).toEqual(Buffer.alloc(200, 280 + i));
    const readBack = await again.state.keys.get('pre-key', Object.keys(preKeys));
    expect(Object.keys(readBack)).toEqual(Object.keys(preKeys).slice(0, 12));
    expect(readBack['12']).toEqual(preKeys['12']);
    // the 800 deleted prekeys (about 130 kB) were compacted away
    expect(statSync(join(again.dir, 'keys.log')).size).toBeLessThan(40 * 1024);
  });

  it('clear() empties the key store durably, creds stay', async () => {
    const store = await openTracked(freshDir());
    await store.state.keys.set(sampleKeys());
    await store.state.keys.clear?.();
    expect(await store.state.keys.get('session', ['15550001.0'])).toEqual({});
    await store.state.keys.set({ session: { after: Buffer.from([1]) } });
    const again = await reopen(store);
    expect(again.exists).toBe(true);
    expect(await again.state.keys.get('session', ['15550001.0', 'after'])).toEqual({
      after: Buffer.from([1]),
    });
  });
});

describe('files on disk', () => {
  it('creates directories 0700 and files 0600', async () => {
    const data = join(root, 'modes');
    const dir = sessionDir(data, 'ins_modes');
    await writeSessionMeta(dir, {
      instance_id: 'ins_modes',
      customer_id: 'cus_1',
      created_at: '2025-01-01T00:00:00Z',
    });
    const store = await openTracked(dir);
    await store.state.keys.set(sampleKeys());
    await store.saveCreds();
    for (const path of [data, sessionsDir(data), dir]) expect(statSync(path).mode & 0o777).toBe(0o700);
    const files = await readdir(dir);
    expect(files.sort()).toEqual(['creds.json', 'keys.log', 'meta.json']);
    for (const file of files) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
  });

  it('writes and reads session meta, and lists complete stores only', async () => {
    const data = join(root, 'listing');
    const meta = { instance_id: 'ins_a', customer_id: 'cus_1', created_at: '2025-01-01T00:00:00.000Z' };
    await writeSessionMeta(sessionDir(data, 'ins_a'), meta);
    expect(await readSessionMeta(sessionDir(data, 'ins_a'))).toEqual(meta);
    expect(await readSessionMeta(sessionDir(data, 'ins_none'))).toBeNull();
    expect(await listStoredSessions(sessionsDir(data))).toEqual([]);
    await (await openTracked(sessionDir(data, 'ins_a'))).close();
    await (await openTracked(sessionDir(data, 'ins_b'))).close();
    // leftovers of an interrupted wipe and of a temp directory are not sessions
    await mkdir(join(sessionsDir(data), '.wiped-ins_c-1'), { recursive: true });
    writeFileSync(join(sessionsDir(data), '.wiped-ins_c-1', 'creds.json'), '{}');
    await mkdir(join(sessionsDir(data), 'ins_d.tmp-1'), { recursive: true });
    expect(await listStoredSessions(sessionsDir(data))).toEqual(['ins_a', 'ins_b']);
    expect(await listStoredSessions(join(root, 'no-such-dir'))).toEqual([]);
    await sweepWipedSessions(sessionsDir(data));
    expect((await readdir(sessionsDir(data))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('wipes a store so that the next open pairs afresh', async () => {
    const dir = freshDir();
    const store = await openTracked(dir);
    await store.state.keys.set(sampleKeys());
    const oldNoise = Buffer.from(store.state.creds.noiseKey.private);
    await store.close();
    expect(await authStoreExists(dir)).toBe(true);
    await wipeAuthStore(dir);
    await wipeAuthStore(dir);
    expect(await authStoreExists(dir)).toBe(false);
    const fresh = await openTracked(dir);
    expect(fresh.exists).toBe(false);
    expect(Buffer.from(fresh.state.creds.noiseKey.private)).not.toEqual(oldNoise);
  });

  it('refuses sessions ids that would escape the sessions directory', () => {
    expect(() => sessionDir(root, '../etc')).toThrow(RangeError);
    expect(() => sessionDir(root, '.wiped-x')).toThrow(RangeError);
  });
});

describe('crash safety', () => {
  function killAfter(child: ChildProcess, acks: number[], ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered = '';
      let timer: NodeJS.Timeout | undefined;
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) acks.push(Number(line));
        timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (_code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`writer exited on its own: ${stderr}`));
      });
    });
  }

  it('every reopen after a SIGKILL at a random moment holds a consistent prefix of the writes', async () => {
    const dir = freshDir();
    await (await openAuthStore(dir)).close();
    let previous = 0;
    for (let round = 0; round < 6; round++) {
      const acks: number[] = [];
      const child = spawn(process.execPath, [CHILD, 'writer', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      await killAfter(child, acks, 50 + Math.floor(Math.random() * 400));
      const lastAcked = acks.at(-1) ?? previous;

      const store = await openTracked(dir);
      const { keys, creds } = store.state;
      const { a, b } = await keys.get('session', ['a', 'b']);
      const step = Number(Buffer.from(a!).toString());
      // one batch was at most in flight: it is either entirely there or entirely absent
      expect(Buffer.from(b!).toString()).toBe(String(step));
      expect(step).toBeGreaterThanOrEqual(lastAcked);
      expect(step).toBeLessThanOrEqual(lastAcked + 1);
      expect(step).toBeGreaterThan(previous);
      const preKeys = await keys.get('pre-key', [String(step - 1), String(step)]);
      expect(Object.keys(preKeys)).toEqual([String(step)]);
      const senderKey = (await keys.get('sender-key', [`group-${step % 50}`]))[`group-${step % 50}`];
      expect(senderKey).toEqual(Buffer.alloc(500 + (step % 7) * 700, step % 256));
      expect(creds.nextPreKeyId).toBeGreaterThanOrEqual(Math.floor(lastAcked / 10) * 10);
      expect(creds.nextPreKeyId).toBeLessThanOrEqual(step);
      await store.close();
      open.splice(open.indexOf(store), 1);
      previous = step;
    }
    expect(previous).toBeGreaterThan(6);
  }, 60_000);
});

describe('unreadable auth-state', () => {
  let template: string;

  beforeAll(async () => {
    template = freshDir();
    const store = await openAuthStore(template);
    await store.state.keys.set(sampleKeys());
    store.state.creds.registered = true;
    await store.saveCreds();
    await store.close();
  });

  function copy(name: string): string {
    const dir = join(root, 'unreadable', name, 'sessions', 'ins_x');
    cpSync(template, dir, { recursive: true });
    for (let path = join(dir, '..'); path !== root; path = join(path, '..')) chmodSync(path, 0o755);
    chmodSync(dir, 0o700);
    return dir;
  }

  function openAs(uid: number, dir: string): Record<string, unknown> {
    const result = spawnSync(process.execPath, [CHILD, 'open', dir], { uid, gid: uid, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`open child failed: ${result.stderr}`);
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
  }

  function chownTree(dir: string, uid: number): void {
    chownSync(dir, uid, uid);
    for (const file of ['creds.json', 'keys.log']) chownSync(join(dir, file), uid, uid);
  }

  it('opens as the owner (control for the cases below)', () => {
    const dir = copy('owner');
    chownTree(dir, NOBODY);
    expect(openAs(NOBODY, dir)).toEqual({ ok: true, exists: true, registered: true });
  });

  it('a directory with mode 000 → AuthStateUnreadableError EACCES, never fresh creds', () => {
    const dir = copy('mode000');
    chownTree(dir, NOBODY);
    chmodSync(dir, 0o000);
    expect(openAs(NOBODY, dir)).toMatchObject({
      ok: false,
      name: 'AuthStateUnreadableError',
      code: 'EACCES',
      path: dir,
    });
    chmodSync(dir, 0o700);
    expect(readdirSync(dir).sort()).toEqual(['creds.json', 'keys.log']);
  });

  it('files owned by another uid → EACCES naming the file', () => {
    const dir = copy('owner-creds');
    chownSync(dir, NOBODY, NOBODY);
    chownSync(join(dir, 'keys.log'), NOBODY, NOBODY);
    const before = readFileSync(join(dir, 'creds.json'));
    expect(openAs(NOBODY, dir)).toMatchObject({ ok: false, code: 'EACCES', path: join(dir, 'creds.json') });
    expect(readFileSync(join(dir, 'creds.json'))).toEqual(before);

    const keysDir = copy('owner-keys');
    chownSync(keysDir, NOBODY, NOBODY);
    chownSync(join(keysDir, 'creds.json'), NOBODY, NOBODY);
    const result = openAs(NOBODY, keysDir);
    expect(result).toMatchObject({ ok: false, code: 'EACCES', path: join(keysDir, 'keys.log') });
    expect(result.osError).toMatch(/permission denied/);
  });

  it('a directory owned by another uid → EACCES', () => {
    const dir = copy('owner-dir');
    expect(openAs(NOBODY, dir)).toMatchObject({ ok: false, code: 'EACCES', path: dir });
  });

  it('corrupt creds.json → corrupt, and the file is left as it was', async () => {
    const dir = copy('corrupt-creds');
    writeFileSync(join(dir, 'creds.json'), '{"noiseKey": {"private": ');
    await expect(openAuthStore(dir)).rejects.toMatchObject({
      name: 'AuthStateUnreadableError',
      code: 'corrupt',
      path: join(dir, 'creds.json'),
    });
    writeFileSync(join(dir, 'creds.json'), '{"registered": true}');
    await expect(openAuthStore(dir)).rejects.toBeInstanceOf(AuthStateUnreadableError);
    expect(await readFile(join(dir, 'creds.json'), 'utf8')).toBe('{"registered": true}');
  });

  it('a damaged batch inside keys.log → corrupt; a torn last batch is cut off and the store opens', async () => {
    const dir = copy('corrupt-keys');
    const store = await openAuthStore(dir);
    await store.state.keys.set({ session: { later: Buffer.from([1]) } });
    await store.close();
    const log = readFileSync(join(dir, 'keys.log'));
    const damaged = Buffer.from(log);
    damaged[20] = damaged[20]! ^ 0xff;
    writeFileSync(join(dir, 'keys.log'), damaged);
    await expect(openAuthStore(dir)).rejects.toMatchObject({ code: 'corrupt', path: join(dir, 'keys.log') });

    // a crash mid-append: half of a new batch at the end
    const torn = Buffer.concat([log, Buffer.from([0x57, 0x49, 0x4b, 0x31, 0, 0, 1, 0, 9, 9])]);
    writeFileSync(join(dir, 'keys.log'), torn);
    const reopened = await openTracked(dir);
    expect(await reopened.state.keys.get('session', ['later'])).toEqual({ later: Buffer.from([1]) });
    expect(statSync(join(dir, 'keys.log')).size).toBe(log.length);
  });

  it('keys without creds → missing_creds; registered creds without keys → missing_keys', async () => {
    const dir = copy('missing-creds');
    rmSync(join(dir, 'creds.json'));
    await expect(openAuthStore(dir)).rejects.toMatchObject({
      code: 'missing_creds',
      path: join(dir, 'creds.json'),
    });
    const keysGone = copy('missing-keys');
    rmSync(join(keysGone, 'keys.log'));
    await expect(openAuthStore(keysGone)).rejects.toMatchObject({ code: 'missing_keys' });
  });

  it('unreadable or corrupt meta.json → AuthStateUnreadableError', async () => {
    const dir = copy('meta');
    writeFileSync(join(dir, 'meta.json'), 'not json');
    await expect(readSessionMeta(dir)).rejects.toMatchObject({ code: 'corrupt' });
  });
});

describe('with a real Baileys socket against wa-sim', () => {
  const ME = '15557001';
  const CONTACT = '15557002';
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator();
    trustSimulator({ rootPublicKey: sim.rootPublicKey });
    sim.createAccount(ME);
    sim.createAccount(CONTACT, { pushName: 'Contact' });
  });
  afterAll(() => sim?.close());

  function connect(store: AuthStore): BaileysClient {
    const client = new BaileysClient(sim.url, store.state);
    // BaileysClient merges the update into state.creds first; the worker does the same before saving
    client.sock.ev.on('creds.update', () => void store.saveCreds());
    return client;
  }

  it('pairs by QR with the store, then logs in from disk in a new socket without a QR and decrypts', async () => {
    const dir = freshDir();
    const pairing = await openTracked(dir);
    expect(pairing.exists).toBe(false);
    const registering = connect(pairing);
    const { deviceId } = sim.scanQr(ME, await registering.waitForQr());
    await registering.waitForClose();
    const first = connect(pairing);
    await first.waitForOpen();
    await first.waitFor('creds.update', (update) => update.accountSyncCounter === 1);
    first.end();
    await sim.events.waitFor('device.offline', (e) => e.msisdn === ME);
    await pairing.close();

    const resumed = await openTracked(dir);
    expect(resumed.exists).toBe(true);
    expect(resumed.state.creds.me?.id).toBe(`${ME}:${deviceId}@s.whatsapp.net`);
    const again = connect(resumed);
    await again.waitForOpen();
    expect(
      again.log.some(
        (r) => r.event === 'connection.update' && typeof (r.data as { qr?: unknown }).qr === 'string',
      ),
    ).toBe(false);

    // the contact's first message opens a Signal session with a prekey uploaded at pairing, read from disk
    const sent = await sim.sendText(CONTACT, ME, 'hello after restart');
    const upsert = await again.waitFor('messages.upsert', (u) =>
      u.messages.some((m) => m.key.id === sent.id),
    );
    expect(upsert.messages.find((m) => m.key.id === sent.id)?.message?.conversation).toBe(
      'hello after restart',
    );
    again.end();
  }, 60_000);
});
