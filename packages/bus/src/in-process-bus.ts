// The one-machine bus: request/reply and the worker registry in memory, the event log in the database
// (bus_events), so an event published before a crash is still delivered after it. One process only: the
// subscriptions, the wake-ups and the consumers' in-flight state live in this process.
import { type EventEnvelope, subjects as makeSubjects, type Subjects } from '@whatisup/contracts';
import { type Database, schema } from '@whatisup/db';
import { and, asc, count, eq, gt, inArray, lt, lte, max, min } from 'drizzle-orm';
import {
  assertSubjectToken,
  type Bus,
  type BusMessage,
  BusNoResponderError,
  type BusSubscription,
  BusTimeoutError,
  BusUnavailableError,
  type ConsumedEvent,
  type ConsumedEvents,
  type ConsumerLag,
  type DurableConsumerOptions,
  type EventFeed,
  type FeedEvent,
  type FeedStart,
  type PublishResult,
  type RegistryStore,
  type RequestOptions,
  subjectMatches,
} from './bus.ts';

const { busConsumerAcks, busConsumers, busEvents } = schema;

export interface InProcessBusOptions {
  db: Database;
  prefix: string;
  /** TTL of worker registry entries (default 15 s). */
  registryTtlMs?: number;
  /** Events every consumer has acknowledged are deleted once older than this (default 7 days). */
  eventRetentionMs?: number;
  /** How often retention runs (default 1 minute). */
  pruneIntervalMs?: number;
}

const DAY_MS = 86_400_000;
const PUBLISH_BATCH = 500;
const encoder = new TextEncoder();

type Subscriber = { pattern: string; handler: (message: BusMessage) => void };

/** The database holding the event log did not answer: to callers, the bus is unavailable. */
const logUnreachable = (cause: unknown) =>
  new BusUnavailableError('the event log (database) is unreachable', { cause });

/** Creates the bus; nothing is read until a consumer or feed starts. */
export async function createInProcessBus(options: InProcessBusOptions): Promise<InProcessBus> {
  const bus = new InProcessBus(options);
  await bus.ping();
  return bus;
}

export class InProcessBus implements Bus {
  readonly subjects: Subjects;
  readonly registry: RegistryStore;
  readonly #db: Database;
  readonly #retentionMs: number;
  #closed = false;
  readonly #subscribers = new Set<Subscriber>();
  readonly #inFlight = new Set<(error: Error) => void>();
  readonly #publishQueue: {
    event: EventEnvelope;
    resolve: (result: PublishResult) => void;
    reject: (error: Error) => void;
  }[] = [];
  #publishing: Promise<void> | undefined;
  /** Called after events are committed: consumers and feeds waiting for new events read again. */
  readonly #wakers = new Set<() => void>();
  readonly #consumers = new Map<string, LogConsumer>();
  /** Every consumer started, so close() writes the acks of stopped ones too. */
  readonly #started = new Set<LogConsumer>();
  readonly #feeds = new Set<{ close(): Promise<void> }>();
  readonly #pruneTimer: NodeJS.Timeout;

  constructor(options: InProcessBusOptions) {
    this.subjects = makeSubjects(options.prefix);
    this.#db = options.db;
    this.#retentionMs = options.eventRetentionMs ?? 7 * DAY_MS;
    this.registry = memoryRegistry(options.registryTtlMs ?? 15_000);
    this.#pruneTimer = setInterval(
      () => void this.prune().catch(() => {}),
      options.pruneIntervalMs ?? 60_000,
    );
    this.#pruneTimer.unref();
  }

  isConnected(): boolean {
    return !this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusUnavailableError('the bus is closed');
  }

  /** The event log lives in the database: readiness is reaching it. */
  async ping(): Promise<void> {
    this.#assertOpen();
    try {
      await this.#db.select({ seq: busEvents.seq }).from(busEvents).limit(1);
    } catch (error) {
      throw logUnreachable(error);
    }
  }

  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new BusUnavailableError('the bus is closed'));
    const targets = [...this.#subscribers].filter((s) => subjectMatches(s.pattern, subject));
    if (targets.length === 0) return Promise.reject(new BusNoResponderError(subject));
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#inFlight.delete(fail);
        outcome();
      };
      const fail = (error: Error) => settle(() => reject(error));
      const timer = setTimeout(
        () => fail(new BusTimeoutError(subject, options.timeoutMs)),
        options.timeoutMs,
      );
      this.#inFlight.add(fail);
      const headers = { ...options.headers };
      for (const target of targets) {
        const message: BusMessage = {
          subject,
          data: data.slice(),
          headers,
          respond: (reply) => settle(() => resolve(reply.slice())),
        };
        // Asynchronously, as over a network: a handler never runs inside the caller's stack.
        setImmediate(() => {
          if (!this.#subscribers.has(target)) return;
          try {
            target.handler(message);
          } catch {
            // A throwing handler is a responder that never answers: the request times out.
          }
        });
      }
    });
  }

  subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription {
    this.#assertOpen();
    const subscriber = { pattern: subject, handler };
    this.#subscribers.add(subscriber);
    return { unsubscribe: () => this.#subscribers.delete(subscriber) };
  }

  /** Queued and written in batches by one writer, so sequence order is commit order (a reader never skips). */
  publishEvent(event: EventEnvelope): Promise<PublishResult> {
    if (this.#closed) return Promise.reject(new BusUnavailableError('the bus is closed'));
    return new Promise((resolve, reject) => {
      this.#publishQueue.push({ event, resolve, reject });
      this.#startWriter();
    });
  }

  #startWriter(): void {
    if (this.#publishing) return;
    this.#publishing = this.#writeQueued().finally(() => {
      this.#publishing = undefined;
      // Events queued after the writer's last look at the queue.
      if (this.#publishQueue.length > 0) this.#startWriter();
    });
  }

  async #writeQueued(): Promise<void> {
    while (this.#publishQueue.length > 0) {
      const batch = this.#publishQueue.splice(0, PUBLISH_BATCH);
      try {
        const rows = new Map<string, typeof busEvents.$inferInsert>();
        for (const { event } of batch) {
          if (rows.has(event.id)) continue;
          rows.set(event.id, {
            eventId: event.id,
            subject: this.subjects.event(event.customer_id, event.instance_id, event.type),
            customerId: event.customer_id,
            payload: JSON.stringify(event),
          });
        }
        const inserted = await this.#db
          .insert(busEvents)
          .values([...rows.values()])
          .onConflictDoNothing({ target: busEvents.eventId })
          .returning({ eventId: busEvents.eventId, seq: busEvents.seq });
        const seqs = new Map(inserted.map((row) => [row.eventId, row.seq]));
        const fresh = new Set(seqs.keys());
        const known = [...rows.keys()].filter((id) => !seqs.has(id));
        if (known.length > 0) {
          const stored = await this.#db
            .select({ eventId: busEvents.eventId, seq: busEvents.seq })
            .from(busEvents)
            .where(inArray(busEvents.eventId, known));
          for (const row of stored) seqs.set(row.eventId, row.seq);
        }
        if (fresh.size > 0) for (const wake of [...this.#wakers]) wake();
        for (const { event, resolve, reject } of batch) {
          const seq = seqs.get(event.id);
          if (seq === undefined) {
            reject(new BusUnavailableError(`event ${event.id} was neither stored nor found`));
            continue;
          }
          resolve({ seq, duplicate: !fresh.delete(event.id) });
        }
      } catch (error) {
        const failure = logUnreachable(error);
        for (const { reject } of batch) reject(failure);
      }
    }
  }

  async ensureConsumer(name: string): Promise<void> {
    this.#assertOpen();
    await this.#db.insert(busConsumers).values({ name }).onConflictDoNothing({ target: busConsumers.name });
  }

  async consume(name: string, options: DurableConsumerOptions): Promise<ConsumedEvents> {
    this.#assertOpen();
    if (this.#consumers.has(name)) throw new Error(`consumer ${name} is already being consumed`);
    const [row] = await this.#db.select().from(busConsumers).where(eq(busConsumers.name, name));
    if (!row) throw new Error(`consumer ${name} does not exist (ensureConsumer first)`);
    const acked = await this.#db
      .select({ seq: busConsumerAcks.seq })
      .from(busConsumerAcks)
      .where(and(eq(busConsumerAcks.consumer, name), gt(busConsumerAcks.seq, row.ackFloor)));
    const consumer = new LogConsumer({
      name,
      db: this.#db,
      floor: row.ackFloor,
      acked: acked.map((a) => a.seq),
      ackWaitMs: options.ackWaitMs,
      maxMessages: options.maxMessages ?? 256,
      wakers: this.#wakers,
      onStop: () => this.#consumers.delete(name),
    });
    this.#consumers.set(name, consumer);
    this.#started.add(consumer);
    return consumer;
  }

  async consumerLag(name: string): Promise<ConsumerLag> {
    this.#assertOpen();
    const active = this.#consumers.get(name);
    if (active) return active.lag();
    const [row] = await this.#db.select().from(busConsumers).where(eq(busConsumers.name, name));
    if (!row) throw new Error(`consumer ${name} does not exist`);
    const [events] = await this.#db
      .select({ n: count() })
      .from(busEvents)
      .where(gt(busEvents.seq, row.ackFloor));
    const [acks] = await this.#db
      .select({ n: count() })
      .from(busConsumerAcks)
      .where(and(eq(busConsumerAcks.consumer, name), gt(busConsumerAcks.seq, row.ackFloor)));
    return { pending: Math.max(0, events!.n - acks!.n), ackPending: 0 };
  }

  async openFeed(customerId: string, start: FeedStart): Promise<EventFeed> {
    assertSubjectToken(customerId, 'customer id');
    this.#assertOpen();
    let cursor: number;
    try {
      cursor = await this.#feedCursor(start);
    } catch (error) {
      throw logUnreachable(error);
    }
    const feed = new CustomerFeed(this.#db, customerId, cursor, this.#wakers, () => this.#feeds.delete(feed));
    this.#feeds.add(feed);
    return feed;
  }

  async #feedCursor(start: FeedStart): Promise<number> {
    if (start !== 'new' && 'afterSeq' in start) return start.afterSeq;
    const [row] = await this.#db
      .select({ seq: max(busEvents.seq) })
      .from(busEvents)
      .where(start === 'new' ? undefined : lt(busEvents.createdAt, new Date(start.since)));
    return Number(row?.seq ?? 0);
  }

  /** Deletes events every consumer has acknowledged that are older than the retention. */
  async prune(): Promise<number> {
    const [floor] = await this.#db.select({ floor: min(busConsumers.ackFloor) }).from(busConsumers);
    const cutoff = new Date(Date.now() - this.#retentionMs);
    const floorSeq = floor?.floor === null || floor?.floor === undefined ? null : Number(floor.floor);
    const deleted = await this.#db
      .delete(busEvents)
      .where(
        floorSeq === null
          ? lt(busEvents.createdAt, cutoff)
          : and(lt(busEvents.createdAt, cutoff), lte(busEvents.seq, floorSeq)),
      )
      .returning({ seq: busEvents.seq });
    return deleted.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#pruneTimer);
    for (const fail of [...this.#inFlight]) fail(new BusUnavailableError('the bus is closed'));
    this.#subscribers.clear();
    await this.#publishing;
    await Promise.all([...this.#started].map((consumer) => consumer.stopAndFlush()));
    await Promise.all([...this.#feeds].map((feed) => feed.close()));
  }
}

function memoryRegistry(ttlMs: number): RegistryStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    async put(key, value) {
      entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    },
    async get(key) {
      return live(key)?.value ?? null;
    },
    async delete(key) {
      entries.delete(key);
    },
    async list() {
      return [...entries.keys()].sort().flatMap((key) => {
        const entry = live(key);
        return entry ? [{ key, value: entry.value }] : [];
      });
    },
  };
}

/** Resolves on the next wake-up (a publish, a redelivery due, a stop). */
function nextWake(
  wakers: Set<() => void>,
  extra?: Set<() => void>,
): { promise: Promise<void>; cancel(): void } {
  let wake!: () => void;
  const promise = new Promise<void>((resolve) => {
    wake = () => {
      wakers.delete(wake);
      extra?.delete(wake);
      resolve();
    };
  });
  wakers.add(wake);
  extra?.add(wake);
  return { promise, cancel: wake };
}

/**
 * A durable consumer of the log. Persisted: the ack floor (every event at or below it is acknowledged) and
 * the acks above it. In memory: the read cursor and the delivered-but-unacknowledged events with their
 * deadlines. After a crash the cursor restarts at the floor, so whatever was not acknowledged comes again.
 */
class LogConsumer implements ConsumedEvents {
  readonly #name: string;
  readonly #db: Database;
  readonly #ackWaitMs: number;
  readonly #maxMessages: number;
  readonly #wakers: Set<() => void>;
  readonly #ownWakers = new Set<() => void>();
  readonly #onStop: () => void;
  #floor: number;
  /** Acknowledged above the floor (persisted or about to be). */
  readonly #acked: Set<number>;
  #cursor: number;
  /** Read from the log, not yet handed out. */
  #buffer: ConsumedEvent[] = [];
  /** Handed out and not acknowledged, by seq, with the time it is due again (insertion order ~ deadline order). */
  readonly #unacked = new Map<number, { message: ConsumedEvent; dueAt: number }>();
  readonly #redeliver: ConsumedEvent[] = [];
  #toPersist: number[] = [];
  #persisting: Promise<void> | undefined;
  #stopped = false;
  readonly #timer: NodeJS.Timeout;

  constructor(options: {
    name: string;
    db: Database;
    floor: number;
    acked: number[];
    ackWaitMs: number;
    maxMessages: number;
    wakers: Set<() => void>;
    onStop: () => void;
  }) {
    this.#name = options.name;
    this.#db = options.db;
    this.#floor = options.floor;
    this.#cursor = options.floor;
    this.#acked = new Set(options.acked);
    this.#ackWaitMs = options.ackWaitMs;
    this.#maxMessages = options.maxMessages;
    this.#wakers = options.wakers;
    this.#onStop = options.onStop;
    const every = Math.min(1_000, Math.max(20, Math.floor(options.ackWaitMs / 4)));
    this.#timer = setInterval(() => this.#redeliverDue(), every);
    this.#timer.unref();
  }

  #wakeOwn(): void {
    for (const wake of [...this.#ownWakers]) wake();
  }

  #redeliverDue(): void {
    const now = Date.now();
    let due = false;
    for (const [seq, entry] of this.#unacked) {
      if (entry.dueAt > now) continue;
      this.#unacked.delete(seq);
      this.#redeliver.push(entry.message);
      due = true;
    }
    if (due) this.#wakeOwn();
  }

  #message(seq: number, subject: string, payload: string): ConsumedEvent {
    const settle = () => {
      if (this.#acked.has(seq) || seq <= this.#floor) return;
      this.#unacked.delete(seq);
      const queued = this.#redeliver.findIndex((m) => m.seq === seq);
      if (queued >= 0) this.#redeliver.splice(queued, 1);
      this.#acked.add(seq);
      this.#toPersist.push(seq);
      this.#persistSoon();
    };
    const message: ConsumedEvent = {
      seq,
      subject,
      data: encoder.encode(payload),
      ack: settle,
      term: settle,
      nak: (delayMs = 0) => {
        const entry = this.#unacked.get(seq);
        if (!entry) return;
        if (delayMs <= 0) {
          this.#unacked.delete(seq);
          this.#redeliver.push(message);
          this.#wakeOwn();
        } else entry.dueAt = Date.now() + delayMs;
      },
    };
    return message;
  }

  #persistSoon(): void {
    this.#persisting ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#persist())
      // Acks not yet written only mean redelivery after a crash (at-least-once); retry after a pause.
      .catch(() => new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref()))
      .finally(() => {
        this.#persisting = undefined;
        if (this.#toPersist.length > 0) this.#persistSoon();
      });
  }

  /** Writes the acks and folds them into the floor: the lowest event still outstanding, minus one. */
  async #persist(): Promise<void> {
    const seqs = this.#toPersist;
    this.#toPersist = [];
    let floor = this.#cursor;
    for (const seq of this.#unacked.keys()) floor = Math.min(floor, seq - 1);
    for (const m of this.#redeliver) floor = Math.min(floor, m.seq - 1);
    for (const m of this.#buffer) floor = Math.min(floor, m.seq - 1);
    floor = Math.max(floor, this.#floor);
    const above = seqs.filter((seq) => seq > floor);
    try {
      await this.#db.transaction(async (tx) => {
        if (above.length > 0)
          await tx
            .insert(busConsumerAcks)
            .values(above.map((seq) => ({ consumer: this.#name, seq })))
            .onConflictDoNothing();
        if (floor > this.#floor) {
          await tx
            .update(busConsumers)
            .set({ ackFloor: floor, updatedAt: new Date() })
            .where(eq(busConsumers.name, this.#name));
          await tx
            .delete(busConsumerAcks)
            .where(and(eq(busConsumerAcks.consumer, this.#name), lte(busConsumerAcks.seq, floor)));
        }
      });
    } catch (error) {
      this.#toPersist.unshift(...seqs);
      throw error;
    }
    if (floor > this.#floor) {
      this.#floor = floor;
      for (const seq of this.#acked) if (seq <= floor) this.#acked.delete(seq);
    }
  }

  async #fill(): Promise<void> {
    const rows = await this.#db
      .select({ seq: busEvents.seq, subject: busEvents.subject, payload: busEvents.payload })
      .from(busEvents)
      .where(gt(busEvents.seq, this.#cursor))
      .orderBy(asc(busEvents.seq))
      .limit(this.#maxMessages);
    for (const row of rows) {
      this.#cursor = Math.max(this.#cursor, row.seq);
      if (this.#acked.has(row.seq)) continue;
      this.#buffer.push(this.#message(row.seq, row.subject, row.payload));
    }
  }

  async #next(): Promise<ConsumedEvent | undefined> {
    while (!this.#stopped) {
      const message = this.#redeliver.shift() ?? this.#buffer.shift();
      if (message) {
        if (this.#acked.has(message.seq) || message.seq <= this.#floor) continue;
        this.#unacked.delete(message.seq);
        this.#unacked.set(message.seq, { message, dueAt: Date.now() + this.#ackWaitMs });
        return message;
      }
      // Register for the wake-up before reading, so a publish between the read and the wait is not missed.
      const wake = nextWake(this.#wakers, this.#ownWakers);
      try {
        await this.#fill();
      } catch {
        // The database is away: wait for the next publish or redelivery tick, then read again.
        await Promise.race([wake.promise, new Promise((resolve) => setTimeout(resolve, 1_000))]);
        wake.cancel();
        continue;
      }
      if (this.#buffer.length > 0) {
        wake.cancel();
        continue;
      }
      await wake.promise;
    }
    return undefined;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumedEvent> {
    for (;;) {
      const message = await this.#next();
      if (!message) return;
      yield message;
    }
  }

  lag(): ConsumerLag {
    return {
      pending: this.#buffer.length,
      ackPending: this.#unacked.size + this.#redeliver.length,
    };
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#wakeOwn();
    this.#onStop();
  }

  /** Stops and writes the acks received so far (what is unacknowledged comes again on the next start). */
  async stopAndFlush(): Promise<void> {
    this.stop();
    await this.#persisting;
    if (this.#toPersist.length > 0) await this.#persist().catch(() => {});
  }
}

/** One customer's events after a cursor, read page by page, woken by publishes. */
class CustomerFeed implements EventFeed {
  readonly #db: Database;
  readonly #customerId: string;
  #cursor: number;
  readonly #wakers: Set<() => void>;
  readonly #ownWakers = new Set<() => void>();
  readonly #onClose: () => void;
  #closed = false;

  constructor(
    db: Database,
    customerId: string,
    cursor: number,
    wakers: Set<() => void>,
    onClose: () => void,
  ) {
    this.#db = db;
    this.#customerId = customerId;
    this.#cursor = cursor;
    this.#wakers = wakers;
    this.#onClose = onClose;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<FeedEvent> {
    while (!this.#closed) {
      const wake = nextWake(this.#wakers, this.#ownWakers);
      const rows = await this.#db
        .select({ seq: busEvents.seq, payload: busEvents.payload })
        .from(busEvents)
        .where(and(eq(busEvents.customerId, this.#customerId), gt(busEvents.seq, this.#cursor)))
        .orderBy(asc(busEvents.seq))
        .limit(256);
      if (rows.length === 0) {
        await wake.promise;
        continue;
      }
      wake.cancel();
      for (const row of rows) {
        if (this.#closed) return;
        this.#cursor = row.seq;
        const event = JSON.parse(row.payload) as EventEnvelope;
        if (event.customer_id !== this.#customerId) continue;
        yield { seq: row.seq, event };
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#ownWakers]) wake();
    this.#onClose();
  }
}
