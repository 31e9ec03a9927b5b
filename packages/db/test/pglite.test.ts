// The database contract on PGlite (embedded Postgres in WebAssembly), and what only the embedded database
// must guarantee: its data survives close and reopen (and a killed process), and one data directory is
// served by one handle at a time, refused clearly otherwise.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestEmbeddedDb } from '@whatisup/db/testing';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEmbeddedDb,
  DataDirLockedError,
  EMBEDDED_DB_SUBDIR,
  findCustomer,
  insertCustomer,
  openDatabase,
  queryRows,
} from '../src/index.ts';
import { describeDatabaseContract } from './contract.ts';

describeDatabaseContract('pglite', async () => {
  const handle = await createTestEmbeddedDb();
  return { handle, dispose: () => handle.close() };
});

const CHILD = new URL('./embedded-child.ts', import.meta.url).pathname;

/** Starts embedded-child.ts and waits for its one line (open or refused). */
async function child(dataDir: string, customerName?: string) {
  const proc = spawn(process.execPath, [CHILD, dataDir, ...(customerName ? [customerName] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before answering: ${out}`)));
  });
  return { proc, reply: JSON.parse(line) as { open: boolean; customerId?: string; error?: string } };
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => proc.once('exit', () => resolve()));
}

// Each of these starts a PGlite (some in a child process): seconds of CPU apiece on a busy machine.
describe('pglite only', { timeout: 180_000 }, () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wiu-pglite-'));
  });
  afterEach(async () => {
    for (const proc of children.splice(0)) {
      proc.kill('SIGKILL');
      await exited(proc);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its data across close and reopen of the same directory', async () => {
    const dataDir = join(dir, 'db');
    const first = await createEmbeddedDb({ dataDir });
    await first.migrate();
    const customer = await insertCustomer(first.db, { name: 'Durable "Co"' });
    await first.close();
    await first.close(); // closing twice is harmless

    const second = await createEmbeddedDb({ dataDir });
    try {
      await second.migrate(); // nothing left to apply
      expect(await findCustomer(second.db, customer.id)).toEqual(customer);
      const [journal] = await queryRows<{ n: number }>(
        second.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      );
      expect(journal!.n).toBeGreaterThanOrEqual(3);
    } finally {
      await second.close();
    }
  });

  it('keeps committed data when its process is killed', async () => {
    const dataDir = join(dir, 'db');
    const { proc, reply } = await child(dataDir, 'Killed mid-flight');
    children.push(proc);
    expect(reply.open).toBe(true);
    proc.kill('SIGKILL');
    await exited(proc);
    // The dead process's lock is stale: this process takes over and finds the committed row.
    const handle = await createEmbeddedDb({ dataDir });
    try {
      expect((await findCustomer(handle.db, reply.customerId!))?.name).toBe('Killed mid-flight');
      await insertCustomer(handle.db, { name: 'after recovery' });
    } finally {
      await handle.close();
    }
  });

  it('refuses a second handle on a directory this process has open, until the first closes', async () => {
    const dataDir = join(dir, 'db');
    const first = await createEmbeddedDb({ dataDir });
    try {
      const error = await createEmbeddedDb({ dataDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toMatch(/already open .*one process at a time/);
      // The refused open did not disturb the first handle or its lock.
      await first.migrate();
      await insertCustomer(first.db, { name: 'still fine' });
      expect(existsSync(`${dataDir}.lock`)).toBe(true);
    } finally {
      await first.close();
    }
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    const again = await createEmbeddedDb({ dataDir });
    await again.close();
  });

  it('refuses a directory another live process has open, naming that process', async () => {
    const dataDir = join(dir, 'db');
    const holder = await child(dataDir);
    children.push(holder.proc);
    expect(holder.reply.open).toBe(true);
    const error = await createEmbeddedDb({ dataDir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toContain(`process ${holder.proc.pid}`);
    const second = await child(dataDir);
    children.push(second.proc);
    expect(second.reply).toMatchObject({ open: false, error: expect.stringContaining('already open') });

    // Once the holder closes cleanly, the directory is free again.
    holder.proc.stdin!.end();
    await exited(holder.proc);
    const handle = await createEmbeddedDb({ dataDir });
    await handle.close();
  });

  it('treats a lock without a readable pid as held, and one of a dead process as stale', async () => {
    const dataDir = join(dir, 'db');
    writeFileSync(`${dataDir}.lock`, '');
    await expect(createEmbeddedDb({ dataDir })).rejects.toBeInstanceOf(DataDirLockedError);
    const dead = spawn(process.execPath, ['-e', '']);
    await exited(dead);
    writeFileSync(`${dataDir}.lock`, `${dead.pid}\n`);
    const handle = await createEmbeddedDb({ dataDir });
    await handle.close();
  });

  it('opens Postgres for a database URL and PGlite in DATA_DIR/db without one', async () => {
    const handle = await openDatabase({ dataDir: dir });
    try {
      expect(handle.kind).toBe('pglite');
      await handle.migrate();
      await handle.ping();
      expect(existsSync(join(dir, EMBEDDED_DB_SUBDIR, 'PG_VERSION'))).toBe(true);
    } finally {
      await handle.close();
    }
    const postgresHandle = await openDatabase({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      dataDir: dir,
    });
    try {
      expect(postgresHandle.kind).toBe('postgres');
      await postgresHandle.ping();
    } finally {
      await postgresHandle.close();
    }
  });
});
