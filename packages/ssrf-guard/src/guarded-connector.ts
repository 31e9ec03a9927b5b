// An undici connector that only ever connects to public addresses, whether the URL names a host or an IP.

import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { classifyAddress } from './address.ts';
import type { GuardedLookupOptions } from './guarded-lookup.ts';
import { createGuardedLookup } from './guarded-lookup.ts';
import { SsrfBlockedError } from './ssrf-blocked-error.ts';

// Omit that keeps each member of the union whole (plain Omit keeps only the keys all members share).
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type GuardedConnectorOptions = GuardedLookupOptions & {
  /**
   * Passed to undici's `buildConnector` (timeout, keepAlive, TLS options, autoSelectFamily…). Needed
   * because an Agent ignores its own `connectTimeout` etc. once `connect` is a function.
   */
  connect?: OmitEach<buildConnector.BuildOptions, 'lookup' | 'socketPath'>;
};

/**
 * Use as `new Agent({ connect: createGuardedConnector(opts) })`. Three checks, each covering a gap of the
 * one before: names go through the guarded lookup (refused before any packet is sent); literal IPs, which
 * net/tls never pass to `lookup`, are checked before connecting; and the connected socket's
 * `remoteAddress` is checked last, whatever path produced it.
 */
export function createGuardedConnector(opts: GuardedConnectorOptions = {}): buildConnector.connector {
  const connect = buildConnector({ ...opts.connect, lookup: createGuardedLookup(opts) });
  return (options, callback) => {
    if (options.socketPath != null) {
      callback(new Error('the guarded connector does not connect to unix sockets'), null);
      return;
    }
    if (!opts.allowPrivate && isIP(options.hostname) !== 0) {
      const verdict = classifyAddress(options.hostname);
      if (!verdict.public) {
        callback(new SsrfBlockedError(options.hostname, verdict.address, verdict.range), null);
        return;
      }
    }
    return connect(options, (error, socket) => {
      if (error !== null) return callback(error, null);
      const blocked = opts.allowPrivate ? null : checkConnectedSocket(socket, options.hostname);
      if (blocked !== null) {
        socket.destroy();
        return callback(blocked, null);
      }
      callback(null, socket);
    });
  };
}

/** The last line of defence: the address the socket actually reached. */
export function checkConnectedSocket(socket: Socket, hostname: string): SsrfBlockedError | null {
  const remote = socket.remoteAddress;
  if (remote === undefined) return new SsrfBlockedError(hostname, 'unknown', 'not connected');
  const verdict = classifyAddress(remote);
  return verdict.public ? null : new SsrfBlockedError(hostname, verdict.address, verdict.range);
}
