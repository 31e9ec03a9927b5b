// A `lookup` for net/tls/undici that refuses to hand out non-public addresses (send-time DNS rebinding guard).

import type { LookupAddress, LookupOptions } from 'node:dns';
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress } from './address.ts';
import { SsrfBlockedError } from './ssrf-blocked-error.ts';

export type ResolveOptions = Omit<LookupOptions, 'all'>;

/** Resolves a name to every address it has; injectable so tests never touch real DNS. */
export type Resolver = (hostname: string, options: ResolveOptions) => Promise<LookupAddress[]>;

export type GuardedLookupOptions = {
  /** Local development and tests only: hand out loopback/private addresses too. */
  allowPrivate?: boolean;
  /** Defaults to the system resolver (`dns.promises.lookup` with `all: true`, like Node's own connect). */
  resolve?: Resolver;
};

const systemResolver: Resolver = (hostname, options) =>
  dns.promises.lookup(hostname, { ...options, all: true });

/**
 * Resolves every address of the name and fails with `SsrfBlockedError` (code `ERR_SSRF_BLOCKED`) when any
 * of them is not public: a name mixing public and private records is refused, because Node's
 * happy-eyeballs connect may try any of them. Answers both `{ all: true }` callers (autoSelectFamily)
 * and single-address callers, which get the first address.
 */
export function createGuardedLookup(opts: GuardedLookupOptions = {}): LookupFunction {
  const resolve = opts.resolve ?? systemResolver;
  return (hostname, options, callback) => {
    const { all, ...resolveOptions } = options;
    const fail = (error: NodeJS.ErrnoException) => callback(error, all ? [] : '');
    resolve(hostname, resolveOptions).then(
      (addresses) => {
        const first = addresses[0];
        if (first === undefined) return fail(notFound(hostname));
        if (!opts.allowPrivate) {
          for (const { address } of addresses) {
            const verdict = classifyAddress(address);
            if (!verdict.public) return fail(new SsrfBlockedError(hostname, verdict.address, verdict.range));
          }
        }
        if (all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => fail(error),
    );
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
