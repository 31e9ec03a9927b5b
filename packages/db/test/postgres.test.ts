// The database contract on Postgres (postgres.js), and what only a Postgres server does: several processes
// migrating at once, creating the database, and claims from separate connections skipping locked rows.

import { randomBytes } from 'node:crypto';
import { newId } from '@whatisup/contracts';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '@whatisup/db/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimDueDeliveries,
  createDb,
  ensureDatabase,
  insertCustomer,
  insertDeliveries,
  insertWebhookEndpoint,
  type PostgresDbHandle,
  runMigrations,
} from '../src/index.ts';
import { describeDatabaseContract } from './contract.ts';

describeDatabaseContract('postgres', async () => {
  const database = await createTestDatabase();
  const handle = createDb(database.url, { max: 4 });
  return {
    handle,
    async dispose() {
      await handle.close();
      await database.drop();
    },
  };
});

describe('postgres only', () => {
  let database: TestDatabase;
  let handle: PostgresDbHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    handle = createDb(database.url, { max: 4 });
  });
  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  // Replicas of a service start together and each migrates: the advisory lock serialises them.
  it('ping answers while every pooled connection is busy (a saturated pool is not an outage)', async () => {
    const small = createDb(database.url, { max: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const busy = small.db.transaction(async () => {
        await held;
      });
      // The only pooled connection is inside that transaction: a pooled query would queue behind it.
      const queued = small.sql`select 1`.then(() => 'pool');
      const answered = await Promise.race([
        small.ping().then(() => 'ping'),
        queued,
        new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
      ]);
      expect(answered).toBe('ping');
      release();
      await busy;
      await queued;
    } finally {
      release();
      await small.close();
    }
  });

  it('migrates safely when several processes run it at once', async () => {
    await Promise.all(Array.from({ length: 5 }, () => runMigrations(database.url)));
    const [applied] = await handle.sql<
      { n: number }[]
    >`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(applied!.n).toBeGreaterThanOrEqual(3);
    await Promise.all([handle.migrate(), runMigrations(handle)]);
    const [again] = await handle.sql<
      { n: number }[]
    >`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(again!.n).toBe(applied!.n);
  });

  // A fresh server has no whatisup database yet; two replicas may race to create it.
  it('creates a missing database, once, when several replicas ask at once', async () => {
    const name = `wiu_ensure_${randomBytes(4).toString('hex')}`;
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${name}`;
    const admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
    try {
      await Promise.all([ensureDatabase(url.toString()), ensureDatabase(url.toString())]);
      const rows = await admin`select 1 from pg_database where datname = ${name}`;
      expect(rows).toHaveLength(1);
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    }
  });

  // Only a server has concurrent connections: a row locked by one transaction is skipped by another claimer.
  it('claims from another connection skip rows locked by an open transaction', async () => {
    const customer = await insertCustomer(handle.db, { name: 'Acme' });
    const hook = await insertWebhookEndpoint(handle.db, {
      customerId: customer.id,
      url: 'https://hooks.example.com/in',
      description: null,
      events: [],
      secretSealed: 'sealed',
    });
    const rows = Array.from({ length: 4 }, (_, i) => ({
      id: newId('webhookDelivery'),
      customerId: customer.id,
      endpointId: hook.id,
      eventId: newId('event'),
      eventType: 'message.received',
      payload: JSON.stringify({ i }),
    }));
    await insertDeliveries(handle.db, rows);
    const options = { limit: 10, scan: 100, perEndpointCap: 10, busy: new Map(), leaseMs: 30_000 };
    let releaseLock!: () => void;
    const locked = new Promise<void>((resolve) => {
      releaseLock = resolve;
    });
    let lockTaken!: () => void;
    const taken = new Promise<void>((resolve) => {
      lockTaken = resolve;
    });
    const holder = handle.sql.begin(async (tx) => {
      await tx`select id from webhook_deliveries where id in ${tx([rows[0]!.id, rows[1]!.id])} for update`;
      lockTaken();
      await locked;
    });
    await taken;
    const claimed = await claimDueDeliveries(handle.db, options);
    releaseLock();
    await holder;
    expect(claimed.map((d) => d.id).sort()).toEqual([rows[2]!.id, rows[3]!.id].sort());
    expect((await claimDueDeliveries(handle.db, options)).map((d) => d.id).sort()).toEqual(
      [rows[0]!.id, rows[1]!.id].sort(),
    );
  });
});
