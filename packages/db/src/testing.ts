// Test support: a fresh, migrated database per test file, cloned from a template that is migrated once per
// set of migrations. Uses the Postgres at TEST_DATABASE_URL / DATABASE_URL (default 127.0.0.1:5432), or
// PGlite in memory (createTestEmbeddedDb).
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { createEmbeddedDb, type EmbeddedDbHandle } from './client.ts';
import { MIGRATIONS_FOLDER, runMigrations } from './migrate.ts';

export const TEST_SERVER_URL =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

async function ensureTemplate(admin: postgres.Sql): Promise<string> {
  const name = `wiu_template_${migrationsHash()}`;
  await admin`select pg_advisory_lock(7769752)`;
  try {
    const [row] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!row) {
      const building = `${name}_build_${randomBytes(3).toString('hex')}`;
      await admin.unsafe(`create database "${building}"`);
      await runMigrations(withDatabase(TEST_SERVER_URL, building));
      await admin.unsafe(`alter database "${building}" rename to "${name}"`);
    }
  } finally {
    await admin`select pg_advisory_unlock(7769752)`;
  }
  return name;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an isolated, migrated database; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    const template = await ensureTemplate(admin);
    const name = `wiu_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    await admin.unsafe(`create database "${name}" template "${template}"`);
    return {
      url: withDatabase(TEST_SERVER_URL, name),
      name,
      async drop() {
        const dropper = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
        try {
          await dropper.unsafe(`drop database if exists "${name}" with (force)`);
        } finally {
          await dropper.end({ timeout: 5 });
        }
      },
    };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** A migrated PGlite database, dumped once per test process and cloned for each caller (migrating is slow). */
let embeddedTemplate: Promise<Blob> | undefined;

async function migratedDump(): Promise<Blob> {
  const builder = await createEmbeddedDb({ memory: true });
  try {
    await builder.migrate();
    return await builder.dumpDataDir();
  } finally {
    await builder.close();
  }
}

/** A fresh, migrated, in-memory PGlite database; `close()` discards it. */
export async function createTestEmbeddedDb(): Promise<EmbeddedDbHandle> {
  embeddedTemplate ??= migratedDump();
  return createEmbeddedDb({ loadDataDir: await embeddedTemplate });
}
