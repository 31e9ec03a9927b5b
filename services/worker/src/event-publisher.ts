// Publishes events to JetStream in order, a window at a time, waiting for the acks. When NATS cannot take them, events wait in
// a bounded in-memory queue (counted, readiness degraded) and are retried; nothing is dropped silently.
import type { EventEnvelope } from '@whatisup/contracts';
import type { Logger } from 'pino';

export interface EventSink {
  publishEvent(event: EventEnvelope): Promise<unknown>;
}

/** Events in flight to JetStream at once. */
const WINDOW = 64;

export class EventPublisher {
  readonly #sink: EventSink;
  readonly #logger: Logger;
  readonly #max: number;
  readonly #queue: EventEnvelope[] = [];
  /** Called once the stream has acked the event (not for an event dropped from a full buffer). */
  readonly #onAcked = new WeakMap<EventEnvelope, () => void>();
  #running = false;
  #idle: Array<() => void> = [];
  published = 0;
  dropped = 0;
  failures = 0;
  /** Milliseconds between an event's creation and its ack, last observed. */
  lastLagMs = 0;

  constructor(sink: EventSink, logger: Logger, maxQueued: number) {
    this.#sink = sink;
    this.#logger = logger;
    this.#max = maxQueued;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** True while events wait because NATS refused them (readiness degrades). */
  get backlogged(): boolean {
    return this.#queue.length > 0 && this.failures > 0;
  }

  publish(event: EventEnvelope, onAcked?: () => void): void {
    if (onAcked) this.#onAcked.set(event, onAcked);
    if (this.#queue.length >= this.#max) {
      this.#queue.shift();
      this.dropped++;
      this.#logger.error({ max: this.#max }, 'event buffer full: dropped the oldest event');
    }
    this.#queue.push(event);
    if (!this.#running) void this.#drain();
  }

  /** Resolves when every queued event has been acked (used at shutdown and in tests). */
  flushed(): Promise<void> {
    if (this.#queue.length === 0 && !this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Publishes up to WINDOW events at once (issued in order on one connection, so the stream stores them in
   * order) and waits for their acks. Failed ones stay at the head of the queue, in their original order, and
   * are retried with backoff: only events around a failure can land out of order.
   */
  async #drain(): Promise<void> {
    this.#running = true;
    let backoff = 100;
    while (this.#queue.length > 0) {
      const window = this.#queue.slice(0, WINDOW);
      const results = await Promise.allSettled(window.map((event) => this.#sink.publishEvent(event)));
      const failed = window.filter((_, i) => results[i]!.status === 'rejected');
      const acked = window.length - failed.length;
      this.#queue.splice(0, window.length, ...failed);
      this.published += acked;
      window.forEach((event, i) => {
        if (results[i]!.status === 'fulfilled') this.#onAcked.get(event)?.();
      });
      if (acked > 0) this.lastLagMs = Date.now() - Date.parse(window[window.length - 1]!.created_at);
      if (failed.length === 0) {
        this.failures = 0;
        backoff = 100;
        continue;
      }
      this.failures++;
      if (this.failures === 1 || this.failures % 50 === 0) {
        const reason = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        this.#logger.warn(
          { err: (reason.reason as Error).message, pending: this.#queue.length },
          'event publish failed, retrying',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 5_000);
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
