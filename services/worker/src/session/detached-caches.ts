// Baileys keeps per-socket LRU caches with `ttlAutopurge` (lru-cache): every entry set (or refreshed, with
// `updateAgeOnGet`) arms a timer for its TTL, five minutes for the recent-message cache that answers retry
// receipts, days for the LID mapping. A timer keeps the async context it was armed in alive until it fires,
// and these are armed inside Baileys' Signal key transactions, whose context holds the transaction's cache of
// session records. So each message held a few KB of decrypted Signal state for five minutes after it was sent
// or received: at 25 messages/s that is 7 MB/min of heap for the first five minutes, and what the LID mapping
// retains for days (docs/benchmarks.md, "Load").
//
// detachCacheTimers makes those caches do their work in the context this module was loaded in, outside every
// transaction, so that their timers keep only themselves alive. The caches are found by shape, not by name,
// because the fields that hold them are private to Baileys.
import { AsyncLocalStorage } from 'node:async_hooks';

/** The async context at module load: outside every request, transaction and socket. */
const outside = AsyncLocalStorage.snapshot();

interface AutopurgingCache {
  ttlAutopurge: true;
  get(...args: unknown[]): unknown;
  set(...args: unknown[]): unknown;
  has(...args: unknown[]): unknown;
}

const detached = new WeakSet<object>();

function isAutopurgingCache(value: unknown): value is AutopurgingCache {
  if (typeof value !== 'object' || value === null) return false;
  const cache = value as Partial<AutopurgingCache>;
  return (
    cache.ttlAutopurge === true &&
    typeof cache.get === 'function' &&
    typeof cache.set === 'function' &&
    typeof cache.has === 'function'
  );
}

/**
 * Detaches the timers of every auto-purging LRU cache held directly by the given objects (Baileys' message
 * retry manager, its LID mapping store). Returns how many caches it detached; idempotent.
 */
export function detachCacheTimers(...owners: unknown[]): number {
  let count = 0;
  for (const owner of owners) {
    if (typeof owner !== 'object' || owner === null) continue;
    for (const value of Object.values(owner)) {
      if (!isAutopurgingCache(value) || detached.has(value)) continue;
      for (const method of ['get', 'set', 'has'] as const) {
        const original = value[method].bind(value);
        value[method] = (...args: unknown[]) => outside(() => original(...args));
      }
      detached.add(value);
      count++;
    }
  }
  return count;
}
