// `pnpm demo` (scripts/demo.ts) refuses what it must before it starts anything: production, bad ports and
// numbers, a port that is taken. (The whole demo — the product in simulator mode — is run by hand; see README.)
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function demo(env: Record<string, string>, args: string[] = []) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      ['scripts/demo.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('pnpm demo', () => {
  it('refuses to run with NODE_ENV=production', async () => {
    const run = await demo({ NODE_ENV: 'production' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refuses to run with NODE_ENV=production');
  });

  it('names the variable of a bad port or phone number', async () => {
    for (const [env, message] of [
      [{ WA_SIM_PORT: 'abc' }, 'WA_SIM_PORT: expected a port number (0-65535, 0: any free one), got "abc"'],
      [{ WA_SIM_MEDIA_PORT: '70000' }, 'WA_SIM_MEDIA_PORT: expected a port number'],
      [{ PORT: '-1' }, 'PORT: expected a port number'],
      [{ DEMO_OWNER: '12ab' }, 'DEMO_OWNER: expected 6 to 15 digits, got "12ab"'],
      [{ DEMO_CONTACT: '1'.repeat(16) }, 'DEMO_CONTACT: expected 6 to 15 digits'],
      [{ DEMO_OWNER: '15550000001', DEMO_CONTACT: '15550000001' }, 'must be different numbers'],
    ] as const) {
      const run = await demo(env);
      expect(run.code, JSON.stringify(env)).toBe(1);
      expect(run.stderr).toContain(message);
    }
  });

  it('says which port is taken instead of starting the product', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const run = await demo({
        WA_SIM_PORT: String(port),
        WA_SIM_MEDIA_PORT: '0',
        DATA_DIR: '/tmp/wiu-demo-test',
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`wa-sim could not listen on 127.0.0.1:${port}`);
      expect(run.stdout).not.toContain('WhatIsUp is starting');
    } finally {
      taken.close();
      await rm('/tmp/wiu-demo-test', { recursive: true, force: true });
    }
  });

  it('explains its settings with --help', async () => {
    const run = await demo({}, ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('WA_SIM_PORT=7300');
    expect(run.stdout).toContain('DEMO_API_KEY');
  });
});
