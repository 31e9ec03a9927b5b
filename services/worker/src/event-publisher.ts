// Publishes events to JetStream in order, waiting for each ack. When NATS cannot take them, events wait in
// a bounded in-memory queue (counted, readiness degraded) and are retried; nothing is dropped silently.
import type { EventEnvelope } from '@whatisup/contracts';
import type { Logger } from 'pino';

export interface EventSink {
  publishEvent(event: EventEnvelope): Promise<unknown>;
}

export class EventPublisher {
  readonly #sink: EventSink;
  readonly #logger: Logger;
  readonly #max: number;
  readonly #queue: EventEnvelope[] = [];
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

  publish(event: EventEnvelope): void {
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

  async #drain(): Promise<void> {
    this.#running = true;
    let backoff = 100;
    while (this.#queue.length > 0) {
      const event = this.#queue[0]!;
      try {
        await this.#sink.publishEvent(event);
        this.#queue.shift();
        this.published++;
        this.failures = 0;
        backoff = 100;
        this.lastLagMs = Date.now() - Date.parse(event.created_at);
      } catch (error) {
        this.failures++;
        if (this.failures === 1 || this.failures % 50 === 0) {
          this.#logger.warn(
            { err: (error as Error).message, pending: this.#queue.length },
            'event publish failed, retrying',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
    this.#running = false;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
