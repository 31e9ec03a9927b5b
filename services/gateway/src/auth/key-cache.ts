// A brief in-memory cache of key lookups (hash → principal, including "no such key"), so authentication
// costs one Postgres query per key per TTL. A revoked key stops working within the TTL (default 5 s).
import type { KeyPrincipal } from '@whatisup/db';

interface Entry {
  principal: KeyPrincipal | null;
  expiresAt: number;
}

export class KeyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(ttlMs: number, maxEntries = 10_000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get(hash: string, now: number): KeyPrincipal | null | undefined {
    const entry = this.#entries.get(hash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(hash);
      return undefined;
    }
    return entry.principal;
  }

  set(hash: string, principal: KeyPrincipal | null, now: number): void {
    if (this.#ttlMs === 0) return;
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(hash, { principal, expiresAt: now + this.#ttlMs });
  }
}
