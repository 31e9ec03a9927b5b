import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeMode, parseConfig, redact } from '../src/config.ts';
import { loadOrCreateSecretsKey } from '../src/secrets-key.ts';

describe('parseConfig', () => {
  it('needs nothing: embedded everything, data under ./data', () => {
    const config = parseConfig({}, '/srv/app');
    expect(config.dataDir).toBe('/srv/app/data');
    expect(config.PORT).toBe(8080);
    expect(describeMode(config).join('\n')).toMatch(
      /embedded database.*\n.*in-process bus.*\n.*in-process rate limiter/,
    );
  });

  it('each named service replaces its embedded twin on its own, and empty values count as unset', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://u:secret@db:5432/x',
      NATS_URL: '',
      REDIS_URL: 'redis://r:6379',
    });
    const mode = describeMode(config).join('\n');
    expect(mode).toContain('Postgres at postgres://u:***@db:5432/x');
    expect(mode).not.toContain('secret');
    expect(mode).toContain('in-process bus');
    expect(mode).toContain('Redis at redis://r:6379');
  });

  it('refuses bad values naming the variable', () => {
    expect(() => parseConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => parseConfig({ REDIS_URL: 'not a url' })).toThrow(/REDIS_URL/);
    expect(() => parseConfig({ WORKER_ID: 'a.b' })).toThrow(/WORKER_ID/);
  });

  it('redact leaves URLs without a password alone and never throws', () => {
    expect(redact('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
    expect(redact('::not a url')).toBe('::not a url');
  });
});

describe('loadOrCreateSecretsKey', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prefers SECRETS_KEY, else creates DATA_DIR/secrets.key (0600) once and reads it back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wiu-secrets-'));
    expect(await loadOrCreateSecretsKey('from-env', dir)).toEqual({ key: 'from-env', origin: 'env' });
    const created = await loadOrCreateSecretsKey(undefined, join(dir, 'data'));
    expect(created.origin).toBe('created');
    expect(Buffer.from(created.key, 'base64')).toHaveLength(32);
    expect((await stat(created.path!)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateSecretsKey(undefined, join(dir, 'data'));
    expect(again).toEqual({ key: created.key, origin: 'file', path: created.path });
    expect((await readFile(created.path!, 'utf8')).trim()).toBe(created.key);
  });

  it('an empty key file is an error, not a silent new key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wiu-secrets-'));
    await writeFile(join(dir, 'secrets.key'), '\n');
    await expect(loadOrCreateSecretsKey(undefined, dir)).rejects.toThrow(/empty/);
  });
});
