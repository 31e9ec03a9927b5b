// The cluster bus: one NATS connection, the JetStream event stream and the worker-registry KV bucket,
// named by the deployment's prefix so several deployments (and tests) can share one NATS server.
import { type EventEnvelope, subjects as makeSubjects, type Subjects } from '@whatisup/contracts';
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  ErrorCode,
  Events,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type KV,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
  RetentionPolicy,
  StorageType,
} from 'nats';
import {
  assertSubjectToken,
  type Bus,
  BusNoResponderError,
  BusTimeoutError,
  BusUnavailableError,
  type ConsumedEvent,
  type ConsumedEvents,
  type ConsumerLag,
  type DurableConsumerOptions,
  decodeEvent,
  type EventFeed,
  encodeEvent,
  type FeedStart,
  type PublishResult,
  type RegistryStore,
  type RequestOptions,
} from './bus.ts';

export interface NatsBusOptions {
  url: string;
  prefix: string;
  /** Connection name shown by the NATS server (monitoring). */
  name: string;
  /** How long events stay in the stream (default 7 days). */
  eventRetentionMs?: number;
  /** TTL of worker registry entries (default 15 s): a worker that stops heartbeating disappears by itself. */
  registryTtlMs?: number;
}

const DAY_MS = 86_400_000;
const nanos = (ms: number) => ms * 1_000_000;

export async function connectNatsBus(options: NatsBusOptions): Promise<NatsBus> {
  const subjects = makeSubjects(options.prefix);
  const nc = await connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  });
  const jsm = await nc.jetstreamManager();
  await ensureEventStream(jsm, subjects, options.eventRetentionMs ?? 7 * DAY_MS);
  return new NatsBus(nc, jsm, subjects, options.registryTtlMs ?? 15_000);
}

export class NatsBus implements Bus {
  /** NATS specifics, for operations and tests; services use the Bus methods only. */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly subjects: Subjects;
  readonly registry: RegistryStore;
  readonly #registryTtlMs: number;
  #connected = true;
  #kv: Promise<KV> | undefined;
  /** Rejections of requests in flight: a disconnect fails them at once instead of at their timeout. */
  readonly #inFlight = new Set<(error: Error) => void>();

  constructor(nc: NatsConnection, jsm: JetStreamManager, subjects: Subjects, registryTtlMs: number) {
    this.nc = nc;
    this.jsm = jsm;
    this.js = nc.jetstream();
    this.subjects = subjects;
    this.#registryTtlMs = registryTtlMs;
    // Registry reads and writes fail at once while disconnected, like requests.
    this.registry = kvRegistry(
      () => this.#whileConnected(() => this.workerRegistry()),
      (op) => this.#whileConnected(op),
    );
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === Events.Disconnect) {
          this.#connected = false;
          this.#failInFlight('the NATS connection was lost');
        } else if (status.type === Events.Reconnect) {
          this.#connected = true;
        }
      }
    })().catch(() => {});
    void nc.closed().then(() => {
      this.#connected = false;
      this.#failInFlight('the NATS connection is closed');
    });
  }

  isConnected(): boolean {
    return this.#connected && !this.nc.isClosed();
  }

  #assertConnected(): void {
    if (!this.isConnected()) throw new BusUnavailableError('NATS is not connected');
  }

  #failInFlight(reason: string): void {
    for (const reject of this.#inFlight) reject(new BusUnavailableError(reason));
    this.#inFlight.clear();
  }

  /** Runs `operation`, failing with BusUnavailableError as soon as the connection drops. */
  async #whileConnected<T>(start: () => Promise<T>): Promise<T> {
    this.#assertConnected();
    const operation = start();
    operation.catch(() => {});
    let reject!: (error: Error) => void;
    const lost = new Promise<never>((_, r) => {
      reject = r;
    });
    this.#inFlight.add(reject);
    try {
      return await Promise.race([operation, lost]);
    } finally {
      this.#inFlight.delete(reject);
    }
  }

  async ping(): Promise<void> {
    await this.#whileConnected(() => this.nc.flush());
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    this.#assertConnected();
    try {
      const reply = await this.#whileConnected(() =>
        this.nc.request(subject, data, {
          timeout: options.timeoutMs,
          ...(options.headers ? { headers: toNatsHeaders(options.headers) } : {}),
        }),
      );
      return reply.data;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === ErrorCode.NoResponders) throw new BusNoResponderError(subject);
      if (code === ErrorCode.Timeout) throw new BusTimeoutError(subject, options.timeoutMs);
      if (code === ErrorCode.ConnectionClosed || code === ErrorCode.ConnectionDraining)
        throw new BusUnavailableError('the NATS connection is closed', { cause: error });
      throw error;
    }
  }

  subscribe(subject: string, handler: Parameters<Bus['subscribe']>[1]) {
    const subscription = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return;
        handler({
          subject: msg.subject,
          data: msg.data,
          headers: fromNatsHeaders(msg.headers),
          respond: (data) => {
            if (msg.reply) msg.respond(data);
          },
        });
      },
    });
    return { unsubscribe: () => subscription.unsubscribe() };
  }

  /** The registry's KV bucket itself (tests read and write it directly). */
  workerRegistry(): Promise<KV> {
    this.#kv ??= this.js.views
      .kv(this.subjects.workerRegistryBucket, { ttl: this.#registryTtlMs, history: 1 })
      .catch((error: unknown) => {
        // Do not keep a failed attempt: the next caller tries again.
        this.#kv = undefined;
        throw error;
      });
    return this.#kv;
  }

  /** Publishes an event and waits for JetStream's ack; the event id is the message id (deduplication). */
  async publishEvent(event: EventEnvelope): Promise<PublishResult> {
    const ack = await this.#whileConnected(() =>
      this.js.publish(
        this.subjects.event(event.customer_id, event.instance_id, event.type),
        encodeEvent(event),
        { msgID: event.id, expect: { streamName: this.subjects.eventStream } },
      ),
    );
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  async ensureConsumer(name: string, options: DurableConsumerOptions): Promise<void> {
    const stream = this.subjects.eventStream;
    const config = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitMs),
      max_deliver: -1,
      max_ack_pending: 20_000,
    };
    try {
      await this.jsm.consumers.info(stream, name);
      await this.jsm.consumers.update(stream, name, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (error) {
      if ((error as { code?: string }).code !== '404') throw error;
      await this.jsm.consumers.add(stream, config);
    }
  }

  async consume(name: string, options: DurableConsumerOptions): Promise<ConsumedEvents> {
    const consumer = await this.js.consumers.get(this.subjects.eventStream, name);
    const messages = await consumer.consume({ max_messages: options.maxMessages ?? 256 });
    return {
      stop: () => messages.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const message of messages) yield consumedEvent(message);
      },
    };
  }

  async consumerLag(name: string): Promise<ConsumerLag> {
    const info = await this.#whileConnected(() => this.jsm.consumers.info(this.subjects.eventStream, name));
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  }

  /** An ephemeral ordered consumer filtered by subject to the customer, so nothing of another is ever read. */
  async openFeed(customerId: string, start: FeedStart): Promise<EventFeed> {
    assertSubjectToken(customerId, 'customer id');
    this.#assertConnected();
    const consumer = await this.js.consumers.get(this.subjects.eventStream, {
      filterSubjects: `${this.subjects.prefix}.evt.${customerId}.>`,
      // Deleted when the feed closes; this only bounds what a crashed process leaves behind.
      inactive_threshold: 30_000,
      ...(start === 'new'
        ? { deliver_policy: DeliverPolicy.New }
        : 'afterSeq' in start
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start.afterSeq + 1 }
          : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: start.since }),
    });
    const messages = await consumer.consume({ max_messages: 256 });
    let closing: Promise<void> | undefined;
    return {
      close() {
        closing ??= messages
          .close()
          .catch(() => {})
          .then(() => consumer.delete())
          .then(
            () => {},
            () => {},
          );
        return closing;
      },
      async *[Symbol.asyncIterator]() {
        for await (const message of messages) {
          let event: EventEnvelope;
          try {
            event = decodeEvent(message.data);
          } catch {
            continue;
          }
          // The subject filter already guarantees it; a mislabelled event is dropped, never shown.
          if (event.customer_id !== customerId) continue;
          yield { seq: message.seq, event };
        }
      },
    };
  }

  async close(): Promise<void> {
    this.#failInFlight('the bus is closing');
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function consumedEvent(message: JsMsg): ConsumedEvent {
  return {
    seq: message.seq,
    subject: message.subject,
    data: message.data,
    ack: () => message.ack(),
    nak: (delayMs) => message.nak(delayMs),
    term: () => message.term(),
  };
}

function kvRegistry(
  bucket: () => Promise<KV>,
  connected: <T>(operation: () => Promise<T>) => Promise<T>,
): RegistryStore {
  return {
    async put(key, value) {
      const kv = await bucket();
      await connected(() => kv.put(key, value));
    },
    async get(key) {
      const kv = await bucket();
      const entry = await connected(() => kv.get(key));
      return entry?.operation === 'PUT' ? entry.string() : null;
    },
    async delete(key) {
      const kv = await bucket();
      await connected(() => kv.delete(key));
    },
    async list() {
      const kv = await bucket();
      const keys = await connected(async () => {
        const out: string[] = [];
        for await (const key of await kv.keys()) out.push(key);
        return out;
      });
      const entries = await Promise.all(
        keys.sort().map(async (key) => ({ key, entry: await connected(() => kv.get(key)) })),
      );
      return entries.flatMap(({ key, entry }) =>
        entry?.operation === 'PUT' ? [{ key, value: entry.string() }] : [],
      );
    },
  };
}

function toNatsHeaders(values: Readonly<Record<string, string>>): MsgHdrs {
  const hdrs = natsHeaders();
  for (const [key, value] of Object.entries(values)) hdrs.set(key, value);
  return hdrs;
}

function fromNatsHeaders(hdrs: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!hdrs) return out;
  for (const key of hdrs.keys()) out[key] = hdrs.get(key);
  return out;
}

async function ensureEventStream(jsm: JetStreamManager, subjects: Subjects, maxAgeMs: number): Promise<void> {
  const config = {
    name: subjects.eventStream,
    subjects: [subjects.allEvents],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(120_000),
    num_replicas: 1,
  };
  try {
    await jsm.streams.info(config.name);
    await jsm.streams.update(config.name, config);
  } catch (error) {
    if ((error as { code?: string }).code !== '404') throw error;
    await jsm.streams.add(config);
  }
}
