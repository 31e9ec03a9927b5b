import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const PRINT_KEY = `import { WA_CERT_DETAILS } from '@whiskeysockets/baileys'; console.log(WA_CERT_DETAILS.PUBLIC_KEY.toString('base64'));`;
const REAL_KEY = Buffer.from(
  '142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b',
  'hex',
).toString('base64');

/** Runs a Baileys process with `--import @whatisup/wa-sim/trust` and the given environment. */
async function withHook(env: Record<string, string>) {
  const { NODE_ENV: _ignored, ...base } = process.env;
  return run(
    process.execPath,
    ['--import', '@whatisup/wa-sim/trust', '--input-type=module', '-e', PRINT_KEY],
    {
      cwd: packageDir,
      env: { ...base, ...env },
    },
  );
}

describe('trust hook (--import @whatisup/wa-sim/trust)', () => {
  it('does nothing when WA_SIM_ROOT_PUBLIC_KEY is unset', async () => {
    const { stdout } = await withHook({});
    expect(stdout.trim()).toBe(REAL_KEY);
  });

  it("overwrites Baileys' WA_CERT_DETAILS.PUBLIC_KEY in the same process when configured", async () => {
    const key = randomBytes(32).toString('base64');
    const { stdout } = await withHook({ WA_SIM_ROOT_PUBLIC_KEY: key });
    expect(stdout.trim()).toBe(key);
  });

  it('refuses to start under NODE_ENV=production', async () => {
    const key = randomBytes(32).toString('base64');
    const failure = await withHook({ WA_SIM_ROOT_PUBLIC_KEY: key, NODE_ENV: 'production' }).catch(
      (error) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { stderr: string }).stderr).toMatch(
      /refusing to trust a WhatsApp simulator with NODE_ENV=production/,
    );
  });

  it('runs under NODE_ENV=production only with the explicit override', async () => {
    const key = randomBytes(32).toString('base64');
    const { stdout } = await withHook({
      WA_SIM_ROOT_PUBLIC_KEY: key,
      NODE_ENV: 'production',
      WA_SIM_ALLOW_PRODUCTION: 'true',
    });
    expect(stdout.trim()).toBe(key);
  });

  it('rejects a key that is not 32 bytes', async () => {
    const failure = await withHook({ WA_SIM_ROOT_PUBLIC_KEY: 'c2hvcnQ=' }).catch((error) => error);
    expect((failure as { stderr: string }).stderr).toMatch(/root public key must be 32 bytes/);
  });
});
