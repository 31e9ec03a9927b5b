// `pnpm demo` (scripts/demo.ts) refuses what it must before it starts anything: production, bad ports and
// numbers, a port that is taken; and the whole demo once: the product in one process on wa-sim, linked and sending.
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

describe('pnpm demo, whole', () => {
  it('runs the product in one process on wa-sim: the dashboard QR reaches the phone page, a scan links, a send arrives on the customer phone', {
    timeout: 180_000,
  }, async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { createServer: createNetServer } = await import('node:net');
    const freePort = async () => {
      const server = createNetServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      return port;
    };
    const dataDir = await mkdtemp(join(tmpdir(), 'wiu-demo-'));
    const [port, simPort, mediaPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, ['scripts/demo.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        WA_SIM_PORT: String(simPort),
        WA_SIM_MEDIA_PORT: String(mediaPort),
        WORKER_PORT: '0',
        DELIVERY_PORT: '0',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c) => {
      output += String(c);
    });
    child.stderr!.on('data', (c) => {
      output += String(c);
    });
    const waitFor = async <T>(probe: () => Promise<T | undefined> | T | undefined, what: string) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`no ${what}; demo output:\n${output.slice(-3_000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    try {
      const key = await waitFor(() => /API key \(shown once\): (\S+)/.exec(output)?.[1], 'API key');
      await waitFor(() => (output.includes('Phone page:') ? true : undefined), 'phone page URL');
      expect(output).toContain(`http://127.0.0.1:${simPort}/phone`);
      expect(output).toMatch(/embedded database/);
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`http://127.0.0.1:${port}${path}`, {
          ...init,
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        });
      const phone = await (await fetch(`http://127.0.0.1:${simPort}/phone`)).text();
      expect(phone).toContain('<html');
      const created = await api('/v1/instances', { method: 'POST', body: JSON.stringify({ name: 'demo' }) });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      // The demo relays the dashboard's QR codes to the simulator, where the phone page lists them.
      const offered = await waitFor(async () => {
        const list = (await (await fetch(`http://127.0.0.1:${simPort}/control/qr-codes`)).json()) as Array<{
          qr: string;
        }>;
        return list[0];
      }, 'a QR code on the phone page');
      const scan = await fetch(`http://127.0.0.1:${simPort}/control/accounts/15550100001/scan-qr`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ qr: offered.qr }),
      });
      expect(scan.status).toBe(200);
      await waitFor(async () => {
        const body = (await (await api(`/v1/instances/${id}`)).json()) as { status: string };
        return body.status === 'connected' ? true : undefined;
      }, 'the instance connected');
      const sent = await api(`/v1/instances/${id}/messages`, {
        method: 'POST',
        body: JSON.stringify({ to: '15550100002', type: 'text', text: 'Hello from the demo' }),
      });
      expect(sent.status).toBe(202);
      await waitFor(async () => {
        const inbox = (await (
          await fetch(`http://127.0.0.1:${simPort}/control/accounts/15550100002/inbox`)
        ).json()) as Array<{ text?: string }>;
        return inbox.some((m) => m.text === 'Hello from the demo') ? true : undefined;
      }, 'the text on the customer phone');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
