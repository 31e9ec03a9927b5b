import { createTestDatabase, type TestDatabase } from '@whatisup/db/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/index.ts';

describe('runMigrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it('is safe when several replicas run it at once', async () => {
    await Promise.all(Array.from({ length: 5 }, () => runMigrations(database.url)));
    const sql = postgres(database.url, { max: 1 });
    const tables =
      await sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
    const applied = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    await sql.end();
    expect(tables.map((t) => t.table_name)).toEqual([
      'api_keys',
      'audit_events',
      'customers',
      'instances',
      'messages',
      'processed_events',
      'webhook_deliveries',
      'webhook_delivery_attempts',
      'webhook_endpoints',
    ]);
    expect(applied[0]!.n).toBe(2);
  });
});
