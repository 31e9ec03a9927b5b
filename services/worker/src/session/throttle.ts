// Protects a number from WhatsApp's own limits: exponential backoff with full jitter between reconnects,
// and sliding-window budgets for reconnects and for fresh QR pairings of one instance.
export class SlidingBudget {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #stamps: number[] = [];

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Milliseconds until the budget allows one more use (0 = now). */
  waitMs(now: number): number {
    this.#prune(now);
    if (this.#stamps.length < this.#limit) return 0;
    return this.#stamps[0]! + this.#windowMs - now;
  }

  use(now: number): void {
    this.#prune(now);
    this.#stamps.push(now);
  }

  #prune(now: number): void {
    while (this.#stamps.length > 0 && this.#stamps[0]! <= now - this.#windowMs) this.#stamps.shift();
  }
}

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
