// Applies the committed drizzle-kit migrations. On Postgres, safe to run from several replicas at once: the
// first takes a session-level advisory lock, the others wait for it and then find nothing left to do. PGlite
// (one process by construction) runs the same files through drizzle's pglite migrator: same journal.
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { DbHandle } from './client.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));
/** Arbitrary constant shared by every WhatIsUp process: "wiu-migrate". */
const MIGRATION_LOCK_KEY = 0x7769752d6d69n;

/** Creates the database named in `url` when the server does not have it yet (first start on a fresh server). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) return;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const sql = postgres(maintenance.toString(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!exists)
      await sql
        .unsafe(`create database "${name.replaceAll('"', '""')}"`)
        .catch((error: { code?: string }) => {
          // Another replica created it between our check and our create: 42P04 once its create committed,
          // 23505 (the catalog's unique index) while both creates are still running.
          if (error.code !== '42P04' && error.code !== '23505') throw error;
        });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Migrates the Postgres database at `url` (created if missing), or the database behind a handle. */
export async function runMigrations(target: string | DbHandle): Promise<void> {
  if (typeof target !== 'string') return target.migrate();
  const url = target;
  await ensureDatabase(url);
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
