// The database handle services are given: Postgres through postgres.js (the cluster), or PGlite, the embedded
// Postgres in WebAssembly (one-machine mode). Both carry the same drizzle schema, migrations and queries.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type ExtractTablesWithRelations, type SQL, sql } from 'drizzle-orm';
import { type PgDatabase, PgDialect, type PgQueryResultHKT, type PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { acquireDataDirLock } from './data-dir-lock.ts';
import { MIGRATIONS_FOLDER, runMigrations } from './migrate.ts';
import * as schema from './schema/index.ts';

/** What every query takes, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; queries take `Database | Tx` so callers can compose them in one transaction. */
export type Tx = PgTransaction<PgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;
export type Executor = Database | Tx;

export interface DbHandle {
  kind: 'postgres' | 'pglite';
  db: Database;
  /** LISTEN on a channel; returns the unsubscribe. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** A trivial transaction, for readiness checks. */
  ping(): Promise<void>;
  /** Applies the committed migrations (Postgres: on its own connection, under the advisory lock). */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The Postgres handle also exposes its postgres.js pool, for tests and tools that talk to the server itself.
 * Services take `DbHandle`, which has no driver specifics.
 */
export interface PostgresDbHandle extends DbHandle {
  kind: 'postgres';
  sql: postgres.Sql;
}

export interface EmbeddedDbHandle extends DbHandle {
  kind: 'pglite';
  /** The PGlite files; undefined for an in-memory database. */
  dataDir: string | undefined;
  /** The whole database as a tarball (what `loadDataDir` takes). */
  dumpDataDir(): Promise<Blob>;
}

export interface DbOptions {
  max?: number;
  /** Seconds a query may wait for a connection before failing; keeps requests from hanging when the pool is exhausted. */
  connectTimeoutSeconds?: number;
  applicationName?: string;
}

const ping = (db: Database) => db.transaction(async (tx) => void (await tx.execute(sql`select 1`)));

export function createDb(url: string, options: DbOptions = {}): PostgresDbHandle {
  const applicationName = options.applicationName ?? 'whatisup';
  const connect = (max: number, name: string) =>
    postgres(url, {
      max,
      connect_timeout: options.connectTimeoutSeconds ?? 5,
      idle_timeout: 60,
      onnotice: () => {},
      connection: { application_name: name },
    });
  const client = connect(options.max ?? 10, applicationName);
  const db = drizzlePostgres(client, { schema }) as unknown as Database;
  // Readiness checks and the gateway's database breaker probe on a connection of their own: behind a busy
  // pool a probe would wait in the pool's queue, and a saturated pool would look like an outage.
  let probeClient: postgres.Sql | undefined;
  const probe = () => (probeClient ??= connect(1, `${applicationName}-probe`));
  return {
    kind: 'postgres',
    db,
    sql: client,
    async listen(channel, onNotify) {
      // postgres.js keeps one extra connection for all its listeners and re-listens after a reconnect.
      const { unlisten } = await client.listen(channel, onNotify);
      return unlisten;
    },
    async ping() {
      await probe().begin((tx) => tx`select 1`);
    },
    migrate: () => runMigrations(url),
    async close() {
      await Promise.all([client.end({ timeout: 5 }), probeClient?.end({ timeout: 5 })]);
    },
  };
}

export type EmbeddedDbOptions = { dataDir: string } | { memory: true } | { loadDataDir: Blob };

/**
 * Opens PGlite: in `dataDir` (created if missing; one process at a time, enforced by a lock file beside it),
 * in memory, or in memory from a dump (`loadDataDir`, used by the tests to clone a migrated database).
 * PGlite is a single connection: it runs one query or transaction at a time, so a transaction must only use
 * its own `tx`, never the root handle (that would wait for the transaction itself).
 */
export async function createEmbeddedDb(options: EmbeddedDbOptions): Promise<EmbeddedDbHandle> {
  const dataDir = 'dataDir' in options ? options.dataDir : undefined;
  let release: (() => void) | undefined;
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    release = acquireDataDirLock(dataDir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(
      dataDir,
      'loadDataDir' in options ? { loadDataDir: options.loadDataDir } : undefined,
    );
  } catch (error) {
    release?.();
    throw error;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Database;
  let closing: Promise<void> | undefined;
  return {
    kind: 'pglite',
    db,
    dataDir,
    async listen(channel, onNotify) {
      const unlisten = await client.listen(channel, onNotify);
      return () => (client.closed ? Promise.resolve() : unlisten());
    },
    ping: () => ping(db),
    dumpDataDir: () => client.dumpDataDir('none'),
    // The lock file makes this process the only one on the data directory: no advisory lock needed.
    migrate: () => migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_FOLDER }),
    close() {
      closing ??= client.close().finally(() => release?.());
      return closing;
    },
  };
}

/** Where `openDatabase` keeps the embedded database inside DATA_DIR. */
export const EMBEDDED_DB_SUBDIR = 'db';

/**
 * The database of a deployment: Postgres when `databaseUrl` is set, else PGlite in `<dataDir>/db`.
 * Call `migrate()` before use.
 */
export async function openDatabase(config: {
  databaseUrl?: string | undefined;
  dataDir: string;
  options?: DbOptions;
}): Promise<DbHandle> {
  if (config.databaseUrl) return createDb(config.databaseUrl, config.options);
  return createEmbeddedDb({ dataDir: join(config.dataDir, EMBEDDED_DB_SUBDIR) });
}

const dialect = new PgDialect();

/**
 * Runs a raw statement and returns its rows, whichever driver executes it (postgres.js answers an array,
 * PGlite an object with `rows`). Timestamps come back as text on both (drizzle's parsers). A `name` makes it
 * a prepared statement on Postgres (parsed and planned once per connection, as postgres.js's own tagged
 * templates are; drizzle's `execute` is unprepared): give one to every hot-path statement.
 */
export async function queryRows<T>(db: Executor, query: SQL, name?: string): Promise<T[]> {
  const result = (await (name === undefined
    ? db.execute(query)
    : db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false).execute())) as unknown as
    | T[]
    | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}
