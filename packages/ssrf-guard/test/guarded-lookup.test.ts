import type { LookupAddress, LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import type { Resolver } from '../src/index.ts';
import { createGuardedLookup, SsrfBlockedError } from '../src/index.ts';

type LookupResult = {
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
};

function fakeDns(records: Record<string, LookupAddress[]>): Resolver {
  return async (hostname) => {
    const addresses = records[hostname];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    }
    return addresses;
  };
}

const records: Record<string, LookupAddress[]> = {
  'hooks.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
  ],
  '127.0.0.1.nip.io': [{ address: '127.0.0.1', family: 4 }],
  'rebind.example.com': [
    { address: '93.184.215.14', family: 4 },
    { address: '169.254.169.254', family: 4 },
  ],
  'mapped.example.com': [{ address: '::ffff:10.0.0.1', family: 6 }],
  'ula.example.com': [{ address: 'fd00::1', family: 6 }],
  'empty.example.com': [],
};

function lookup(hostname: string, options: LookupOptions, opts: { allowPrivate?: boolean } = {}) {
  const guarded = createGuardedLookup({ ...opts, resolve: fakeDns(records) });
  return new Promise<LookupResult>((resolve) => {
    guarded(hostname, options, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('createGuardedLookup: happy path', () => {
  it('answers { all: true } callers (autoSelectFamily) with every address', async () => {
    expect(await lookup('hooks.example.com', { all: true })).toEqual({
      error: null,
      address: records['hooks.example.com'],
      family: undefined,
    });
  });

  it('answers single-address callers with the first address and its family', async () => {
    expect(await lookup('hooks.example.com', {})).toEqual({
      error: null,
      address: '93.184.215.14',
      family: 4,
    });
  });

  it('passes family, hints and order to the resolver but not `all`', async () => {
    const seen: unknown[] = [];
    const guarded = createGuardedLookup({
      resolve: async (hostname, options) => {
        seen.push({ hostname, options });
        return [{ address: '93.184.215.14', family: 4 }];
      },
    });
    await new Promise((resolve) =>
      guarded('a.example.com', { all: true, family: 4, order: 'ipv4first' }, resolve),
    );
    expect(seen).toEqual([{ hostname: 'a.example.com', options: { family: 4, order: 'ipv4first' } }]);
  });
});

describe('createGuardedLookup: errors', () => {
  it('passes resolver errors through unchanged', async () => {
    const result = await lookup('nowhere.example.com', { all: true });
    expect(result.error?.code).toBe('ENOTFOUND');
    expect(result.address).toEqual([]);
  });

  it('fails with ENOTFOUND when the resolver returns no address', async () => {
    const result = await lookup('empty.example.com', {});
    expect(result.error).toMatchObject({ code: 'ENOTFOUND', hostname: 'empty.example.com' });
    expect(result.address).toBe('');
  });
});

describe('createGuardedLookup: security', () => {
  it.each([{ all: true }, {}])('refuses a DNS name resolving to loopback (%j)', async (options) => {
    const { error } = await lookup('127.0.0.1.nip.io', options);
    expect(error).toBeInstanceOf(SsrfBlockedError);
    expect(error).toMatchObject({
      code: 'ERR_SSRF_BLOCKED',
      hostname: '127.0.0.1.nip.io',
      address: '127.0.0.1',
      message: 'refusing to connect to 127.0.0.1.nip.io (127.0.0.1): not a public address (loopback)',
    });
  });

  it('refuses a name when any one of its addresses is private, even if the first is public', async () => {
    for (const options of [{ all: true }, {}]) {
      const { error } = await lookup('rebind.example.com', options);
      expect(error).toMatchObject({ code: 'ERR_SSRF_BLOCKED', address: '169.254.169.254' });
    }
  });

  it('unmaps IPv4-mapped IPv6 answers before judging them', async () => {
    const { error } = await lookup('mapped.example.com', { all: true });
    expect(error).toMatchObject({ code: 'ERR_SSRF_BLOCKED', address: '10.0.0.1', range: 'private' });
  });

  it('refuses IPv6 unique-local answers', async () => {
    const { error } = await lookup('ula.example.com', { all: true });
    expect(error).toMatchObject({ code: 'ERR_SSRF_BLOCKED', address: 'fd00::1', range: 'uniqueLocal' });
  });

  it('hands out private addresses with allowPrivate', async () => {
    expect(await lookup('127.0.0.1.nip.io', { all: true }, { allowPrivate: true })).toEqual({
      error: null,
      address: [{ address: '127.0.0.1', family: 4 }],
      family: undefined,
    });
  });

  it('uses the system resolver by default (localhost is refused, and accepted with allowPrivate)', async () => {
    const call = (allowPrivate: boolean) =>
      new Promise<LookupResult>((resolve) =>
        createGuardedLookup({ allowPrivate })('localhost', { all: true }, (error, address) =>
          resolve({ error, address }),
        ),
      );
    expect((await call(false)).error).toMatchObject({ code: 'ERR_SSRF_BLOCKED', hostname: 'localhost' });
    const allowed = await call(true);
    expect(allowed.error).toBeNull();
    expect(allowed.address).toContainEqual(
      expect.objectContaining({ address: expect.stringMatching(/^(127\.|::1$)/) }),
    );
  });
});
