import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDb, findApiKey, findCustomer } from '@whatisup/db';
import { createTestDatabase, type TestDatabase } from '@whatisup/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/api-key-format.ts';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../src/admin-cli.ts', import.meta.url));

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

function admin(...args: string[]) {
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: database.url } });
}

describe('admin CLI', () => {
  // Each step starts a Node process: generous bounds for a loaded machine.
  it('creates a customer with a key printed once and stored hashed, lists, revokes and sets limits', {
    timeout: 120_000,
  }, async () => {
    const created = JSON.parse((await admin('customer:create', '--name', 'Acme')).stdout);
    expect(created.api_key).toMatch(/^wiu_[A-Za-z0-9_-]{32}$/);
    const { db, close } = createDb(database.url, { max: 1 });
    try {
      const row = await findApiKey(db, created.api_key_id);
      expect(row?.keyHash).toBe(hashApiKey(created.api_key));
      expect(JSON.stringify(row)).not.toContain(created.api_key);

      const listed = (await admin('key:list', '--customer', created.customer_id)).stdout;
      expect(listed).toContain(created.api_key_id);
      expect(listed).not.toContain(created.api_key);

      await admin('rate-limit:set', '--customer', created.customer_id, '--burst', '120', '--per-second', '2');
      expect(await findCustomer(db, created.customer_id)).toMatchObject({
        rateLimitBurst: 120,
        rateLimitPerSecond: 2,
      });
      await admin('rate-limit:set', '--customer', created.customer_id, '--clear');
      expect(await findCustomer(db, created.customer_id)).toMatchObject({
        rateLimitBurst: null,
        rateLimitPerSecond: null,
      });

      await admin('key:revoke', '--key', created.api_key_id);
      expect((await findApiKey(db, created.api_key_id))?.revokedAt).toBeInstanceOf(Date);
    } finally {
      await close();
    }
  });

  it('exits 2 with usage on bad input', { timeout: 120_000 }, async () => {
    for (const args of [
      [],
      ['nope'],
      ['key:create'],
      ['rate-limit:set', '--customer', 'cus_x', '--burst', '-1'],
    ]) {
      const failed = await admin(...args).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed?.code, args.join(' ')).toBe(2);
      expect(failed?.stderr).toMatch(/usage: pnpm admin/);
    }
  });
});

describe('admin CLI on the embedded database (no DATABASE_URL)', () => {
  it('works on DATA_DIR/db, and refuses clearly while another process holds it', {
    timeout: 120_000,
  }, async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createEmbeddedDb } = await import('@whatisup/db');
    const dataDir = await mkdtemp(join(tmpdir(), 'wiu-admin-'));
    const { DATABASE_URL: _unset, ...base } = process.env;
    const embedded = (...args: string[]) =>
      run(process.execPath, [CLI, ...args], { env: { ...base, DATA_DIR: dataDir } });
    try {
      const created = JSON.parse((await embedded('customer:create', '--name', 'Laptop')).stdout);
      expect(created.api_key).toMatch(/^wiu_/);
      expect((await embedded('key:list', '--customer', created.customer_id)).stdout).toContain(
        created.api_key_id,
      );

      const held = await createEmbeddedDb({ dataDir: join(dataDir, 'db') });
      try {
        const refused = await embedded('key:list', '--customer', created.customer_id).then(
          () => undefined,
          (error: { code: number; stderr: string }) => error,
        );
        expect(refused?.code).toBe(1);
        expect(refused?.stderr).toMatch(/already open/);
      } finally {
        await held.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
