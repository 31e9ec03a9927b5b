// One session's Baileys auth-state on the worker's volume: creds.json (replaced atomically) and keys.log
// (group-committed key writes). `openAuthStore` loads it, or starts fresh creds only when there is no store.
import { lstat, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  type AuthenticationCreds,
  type AuthenticationState,
  initAuthCreds,
  proto,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import { ensureDir, fsyncDir, TEMP_MARKER, writeFileAtomic } from './atomic-file.ts';
import { decodeValue, encodeValue } from './codec.ts';
import { AuthStateUnreadableError, isNotFound } from './errors.ts';
import { CorruptLogError, KeyLog, type KeyOp } from './key-log.ts';

export const CREDS_FILE = 'creds.json';
export const KEYS_FILE = 'keys.log';
/** Prefix of a session directory being wiped (renamed away first, then removed). */
export const TOMBSTONE_PREFIX = '.wiped-';

export interface AuthStoreOptions {
  /** Key writes issued within this many ms share one fsync; 0 (default) = within the same event-loop turn. */
  coalesceMs?: number;
  /** The key log is compacted once larger than this (default 1 MiB) and more than twice its live data. */
  compactMinBytes?: number;
}

export interface AuthStore {
  readonly dir: string;
  /** Pass to makeWASocket({ auth: store.state }). */
  readonly state: AuthenticationState;
  /** True when the state was loaded from disk; false when these are fresh creds (never paired here). */
  readonly exists: boolean;
  /** Persists state.creds durably; wire it to Baileys' `creds.update` after merging the update. */
  saveCreds(): Promise<void>;
  /** Resolves once every write issued so far is durable. */
  flush(): Promise<void>;
  /** Flushes, then releases the file handle. The state must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Opens the auth-state in `dir`. A missing directory (or one without creds and keys) gives fresh creds,
 * written at once so the store is complete from its first instant. Anything that exists but cannot be read
 * or parsed throws AuthStateUnreadableError; it never falls back to fresh creds.
 */
export async function openAuthStore(dir: string, options: AuthStoreOptions = {}): Promise<AuthStore> {
  const logOptions = { compactMinBytes: options.compactMinBytes ?? 1 << 20 };
  const loaded = await loadExisting(dir, logOptions);
  if (loaded) return new FileAuthStore(dir, loaded.creds, loaded.log, true, options);

  await ensureDir(dir);
  const creds = initAuthCreds();
  await writeFileAtomic(join(dir, CREDS_FILE), encodeValue(creds));
  const keysPath = join(dir, KEYS_FILE);
  await unlink(keysPath).catch((error) => {
    if (!isNotFound(error)) throw error;
  });
  const log = await KeyLog.create(keysPath, logOptions);
  await fsyncDir(dir);
  return new FileAuthStore(dir, creds, log, false, options);
}

/** True when `dir` holds an auth-state (readable or not). */
export async function authStoreExists(dir: string): Promise<boolean> {
  for (const name of [CREDS_FILE, KEYS_FILE]) {
    try {
      await lstat(join(dir, name));
      return true;
    } catch (error) {
      if (!isNotFound(error) && !(error as NodeJS.ErrnoException).code?.startsWith('ENOTDIR')) {
        throw AuthStateUnreadableError.fromOsError(join(dir, name), error);
      }
    }
  }
  return false;
}

/**
 * Removes a session's directory for logout or invalidation. Close its store first. The directory is renamed
 * to a tombstone (durably) before removal, so a crash midway never leaves a half-deleted store behind.
 */
export async function wipeAuthStore(dir: string): Promise<void> {
  const parent = dirname(dir);
  const tombstone = join(parent, `${TOMBSTONE_PREFIX}${basename(dir)}-${Date.now()}`);
  try {
    await rename(dir, tombstone);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await fsyncDir(parent);
  await rm(tombstone, { recursive: true, force: true });
}

/** Instance ids under `sessionsDir` with a store (creds present, or not readable); ignores leftovers. */
export async function listStoredSessions(sessionsDir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(sessionsDir, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  const ids: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name.includes(TEMP_MARKER)) continue;
    try {
      await lstat(join(sessionsDir, entry.name, CREDS_FILE));
      ids.push(entry.name);
    } catch (error) {
      // a store we cannot even look into is listed, so that opening it reports why
      if (!isNotFound(error)) ids.push(entry.name);
    }
  }
  return ids.sort();
}

/** Removes tombstones left by a wipe that a crash interrupted. */
export async function sweepWipedSessions(sessionsDir: string): Promise<void> {
  const entries = await readdir(sessionsDir).catch((error) => {
    if (isNotFound(error)) return [] as string[];
    throw error;
  });
  for (const name of entries) {
    if (name.startsWith(TOMBSTONE_PREFIX))
      await rm(join(sessionsDir, name), { recursive: true, force: true });
  }
}

async function loadExisting(
  dir: string,
  logOptions: { compactMinBytes: number },
): Promise<{ creds: AuthenticationCreds; log: KeyLog } | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw AuthStateUnreadableError.fromOsError(dir, error);
  }
  const credsPath = join(dir, CREDS_FILE);
  const keysPath = join(dir, KEYS_FILE);
  if (!names.includes(CREDS_FILE)) {
    if (names.includes(KEYS_FILE)) {
      throw new AuthStateUnreadableError(
        credsPath,
        'missing_creds',
        'keys.log exists but creds.json does not',
      );
    }
    return undefined;
  }
  for (const name of names) {
    if (name.includes(TEMP_MARKER)) await unlink(join(dir, name)).catch(() => {});
  }

  let text: string;
  try {
    text = await readFile(credsPath, 'utf8');
  } catch (error) {
    throw AuthStateUnreadableError.fromOsError(credsPath, error);
  }
  let creds: AuthenticationCreds;
  try {
    creds = decodeValue(text) as AuthenticationCreds;
  } catch (error) {
    throw new AuthStateUnreadableError(credsPath, 'corrupt', (error as Error).message, error);
  }
  if (!looksLikeCreds(creds)) {
    throw new AuthStateUnreadableError(credsPath, 'corrupt', 'creds.json does not hold Baileys creds');
  }

  if (!names.includes(KEYS_FILE)) {
    // creds are written before the key log is created, so only a store that never paired may lack it
    if (creds.registered) {
      throw new AuthStateUnreadableError(
        keysPath,
        'missing_keys',
        'creds are registered but keys.log is missing',
      );
    }
    const log = await KeyLog.create(keysPath, logOptions).catch((error) => {
      throw AuthStateUnreadableError.fromOsError(keysPath, error);
    });
    await fsyncDir(dir);
    return { creds, log };
  }
  try {
    return { creds, log: await KeyLog.open(keysPath, logOptions) };
  } catch (error) {
    if (error instanceof CorruptLogError) {
      throw new AuthStateUnreadableError(keysPath, 'corrupt', error.message, error);
    }
    throw AuthStateUnreadableError.fromOsError(keysPath, error);
  }
}

function looksLikeCreds(value: unknown): value is AuthenticationCreds {
  const creds = value as Partial<AuthenticationCreds> | null;
  return (
    typeof creds === 'object' &&
    creds !== null &&
    Buffer.isBuffer(creds.noiseKey?.private) &&
    Buffer.isBuffer(creds.signedIdentityKey?.private) &&
    Buffer.isBuffer(creds.signedPreKey?.keyPair?.private) &&
    typeof creds.registrationId === 'number' &&
    typeof creds.advSecretKey === 'string'
  );
}

/** A write not yet durable; reads see it until the log's index does. */
interface PendingWrite {
  value: Buffer | null;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

class FileAuthStore implements AuthStore {
  readonly dir: string;
  readonly state: AuthenticationState;
  readonly exists: boolean;
  readonly #log: KeyLog;
  readonly #coalesceMs: number;
  readonly #pending = new Map<string, PendingWrite>();
  #queue: { op: KeyOp; write: PendingWrite | undefined }[] = [];
  #waiters: Waiter[] = [];
  #scheduled = false;
  #committing = false;
  /** Clears issued but not yet durable: reads of keys without a pending write see nothing. */
  #clearing = 0;
  #failed: unknown;
  #closed = false;
  #credsChain: Promise<void> = Promise.resolve();
  #credsQueued: Promise<void> | undefined;

  constructor(
    dir: string,
    creds: AuthenticationCreds,
    log: KeyLog,
    exists: boolean,
    options: AuthStoreOptions,
  ) {
    this.dir = dir;
    this.exists = exists;
    this.#log = log;
    this.#coalesceMs = options.coalesceMs ?? 0;
    const keys: SignalKeyStore = {
      get: (type, ids) => this.#get(type, ids),
      set: (data) => this.#set(data),
      clear: () => this.#clear(),
    };
    this.state = { creds, keys };
  }

  saveCreds(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`auth store ${this.dir} is closed`));
    if (this.#credsQueued) return this.#credsQueued;
    // serialised when the previous write is done, so it captures every change made before this call
    const write = this.#credsChain
      .catch(() => {})
      .then(() => {
        this.#credsQueued = undefined;
        return writeFileAtomic(join(this.dir, CREDS_FILE), encodeValue(this.state.creds));
      });
    this.#credsQueued = write;
    this.#credsChain = write;
    return write;
  }

  async flush(): Promise<void> {
    await Promise.all([this.#enqueue([]), this.#credsChain]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      await this.#log.close();
    }
  }

  async #get<T extends keyof SignalDataTypeMap>(
    type: T,
    ids: string[],
  ): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    this.#assertOpen();
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    await Promise.all(
      ids.map(async (id) => {
        const key = `${type}/${id}`;
        const pending = this.#pending.get(key);
        const bytes = pending ? pending.value : this.#clearing > 0 ? undefined : await this.#log.read(key);
        if (!bytes) return;
        let value: unknown;
        try {
          value = decodeValue(bytes);
        } catch (error) {
          throw new AuthStateUnreadableError(
            this.#log.path,
            'corrupt',
            `value of ${key}: ${(error as Error).message}`,
          );
        }
        if (type === 'app-state-sync-key')
          value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
        out[id] = value as SignalDataTypeMap[T];
      }),
    );
    return out;
  }

  #set(data: SignalDataSet): Promise<void> {
    const ops: { op: KeyOp; write: PendingWrite | undefined }[] = [];
    for (const [type, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        const key = `${type}/${id}`;
        if (value === null || value === undefined) {
          ops.push({ op: { op: 'delete', key }, write: { value: null } });
        } else {
          const bytes = encodeValue(value);
          ops.push({ op: { op: 'put', key, value: bytes }, write: { value: bytes } });
        }
      }
    }
    return this.#enqueue(ops);
  }

  #clear(): Promise<void> {
    this.#assertOpen();
    this.#pending.clear();
    this.#clearing++;
    return this.#enqueue([{ op: { op: 'clear' }, write: undefined }]);
  }

  #enqueue(ops: { op: KeyOp; write: PendingWrite | undefined }[]): Promise<void> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    for (const { op, write } of ops) {
      if (write && op.op !== 'clear') this.#pending.set(op.key, write);
    }
    this.#queue.push(...ops);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled && !this.#committing) {
        this.#scheduled = true;
        if (this.#coalesceMs > 0) setTimeout(() => void this.#commitLoop(), this.#coalesceMs);
        else setImmediate(() => void this.#commitLoop());
      }
    });
  }

  /** Group commit: everything queued while a batch is being made durable goes into the next batch. */
  async #commitLoop(): Promise<void> {
    this.#scheduled = false;
    this.#committing = true;
    try {
      while (this.#waiters.length > 0) {
        const batch = this.#queue;
        const waiters = this.#waiters;
        this.#queue = [];
        this.#waiters = [];
        try {
          await this.#log.append(batch.map((item) => item.op));
        } catch (error) {
          // after a failed write or fsync the file's state is unknown: refuse further writes until reopened
          this.#failed = error;
          for (const waiter of [...waiters, ...this.#waiters]) waiter.reject(error);
          this.#waiters = [];
          this.#queue = [];
          return;
        }
        for (const { op, write } of batch) {
          if (op.op === 'clear') this.#clearing--;
          else if (this.#pending.get(op.key) === write) this.#pending.delete(op.key);
        }
        for (const waiter of waiters) waiter.resolve();
      }
    } finally {
      this.#committing = false;
    }
  }

  #assertOpen(): void {
    if (this.#failed !== undefined)
      throw new Error(`auth store ${this.dir} failed a write; reopen it`, { cause: this.#failed });
    if (this.#closed) throw new Error(`auth store ${this.dir} is closed`);
  }
}
