// The bus contract every service codes against (design.md "Contracts"): request/reply on subjects, the
// worker registry, the event log with durable consumers and the customer feed, connection state. Two
// implementations: NatsBus (the cluster) and InProcessBus (one-machine mode); one contract suite tests both.
import type { EventEnvelope, Subjects } from '@whatisup/contracts';

/** Base of every bus failure a caller may want to tell apart. */
export class BusError extends Error {
  readonly code: 'bus_unavailable' | 'no_responders' | 'timeout';
  constructor(code: BusError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The bus is disconnected or closed: the caller fails at once instead of waiting for a timeout. */
export class BusUnavailableError extends BusError {
  constructor(message = 'the bus is not connected', options?: ErrorOptions) {
    super('bus_unavailable', message, options);
  }
}

/** Nobody subscribes to the subject (for a command: no worker holds the instance). */
export class BusNoResponderError extends BusError {
  readonly subject: string;
  constructor(subject: string) {
    super('no_responders', `no responder on ${subject}`);
    this.subject = subject;
  }
}

/** A responder exists but did not answer in time. */
export class BusTimeoutError extends BusError {
  readonly subject: string;
  readonly timeoutMs: number;
  constructor(subject: string, timeoutMs: number) {
    super('timeout', `no reply on ${subject} within ${timeoutMs} ms`);
    this.subject = subject;
    this.timeoutMs = timeoutMs;
  }
}

export type BusHeaders = Readonly<Record<string, string>>;

export interface RequestOptions {
  timeoutMs: number;
  headers?: BusHeaders;
}

/** A message received by a subscription; `respond` answers a request (a no-op when nobody waits). */
export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: BusHeaders;
  respond(data: Uint8Array): void;
}

export interface BusSubscription {
  unsubscribe(): void;
}

/** Worker registry: string values by key; an entry not put again within the TTL disappears by itself. */
export interface RegistryStore {
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /** Every live entry, in key order. */
  list(): Promise<{ key: string; value: string }[]>;
}

export interface PublishResult {
  /** Position of the event in the log (the SSE `id:`). */
  seq: number;
  /** The event id was already in the log: nothing was stored, `seq` is the stored copy's. */
  duplicate: boolean;
}

/** One event handed to a durable consumer; it comes back after the ack wait unless acknowledged. */
export interface ConsumedEvent {
  readonly seq: number;
  readonly subject: string;
  /** The event envelope as published (JSON); `decodeEvent` reads it. */
  readonly data: Uint8Array;
  ack(): void;
  /** Not processed: deliver again after `delayMs` (default at once). */
  nak(delayMs?: number): void;
  /** Never deliver again (an undecodable event). */
  term(): void;
}

export interface DurableConsumerOptions {
  /** How long a delivered event may stay unacknowledged before it is delivered again. */
  ackWaitMs: number;
  /** Events read ahead of the handler (default 256). */
  maxMessages?: number;
}

/** Delivered events in sequence order (redeliveries come again later); `stop()` ends the iteration. */
export interface ConsumedEvents extends AsyncIterable<ConsumedEvent> {
  stop(): void;
}

export interface ConsumerLag {
  /** Events not yet delivered to the consumer. */
  pending: number;
  /** Events delivered but not yet acknowledged. */
  ackPending: number;
}

/** Where a customer's feed starts: after a sequence, at a time, or with the next event published. */
export type FeedStart = { afterSeq: number } | { since: string } | 'new';

export interface FeedEvent {
  seq: number;
  event: EventEnvelope;
}

/** An ordered, read-only view of one customer's events; `close()` ends the iteration. */
export interface EventFeed extends AsyncIterable<FeedEvent> {
  close(): Promise<void>;
}

export interface Bus {
  readonly subjects: Subjects;
  isConnected(): boolean;
  /** Round trip to the bus (readiness); throws BusUnavailableError while disconnected. */
  ping(): Promise<void>;

  /** One request, one reply. Throws BusNoResponderError, BusTimeoutError or BusUnavailableError. */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<Uint8Array>;
  /** `*` matches one subject token, `>` the rest; every matching subscription receives the message. */
  subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription;

  /** The worker registry (TTL from the bus options). */
  readonly registry: RegistryStore;

  /** Appends an event, deduplicated by its id; throws BusUnavailableError while disconnected. */
  publishEvent(event: EventEnvelope): Promise<PublishResult>;
  /** Creates or updates the durable consumer `name` (delivery starts at the oldest event it has not acknowledged). */
  ensureConsumer(name: string, options: DurableConsumerOptions): Promise<void>;
  /** Delivers the durable consumer's events; ensureConsumer must have created it. */
  consume(name: string, options: DurableConsumerOptions): Promise<ConsumedEvents>;
  consumerLag(name: string): Promise<ConsumerLag>;
  /** One customer's events in order, nobody else's. */
  openFeed(customerId: string, start: FeedStart): Promise<EventFeed>;

  /** Stops everything; pending requests fail with BusUnavailableError. */
  close(): Promise<void>;
}

/** Customer ids become subject tokens: a wildcard or separator would widen a filter to others' events. */
export function assertSubjectToken(value: string, what: string): void {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(value)) throw new Error(`${what} not usable in a subject: ${value}`);
}

const codec = { encoder: new TextEncoder(), decoder: new TextDecoder() };

export function encodeEvent(event: EventEnvelope): Uint8Array {
  return codec.encoder.encode(JSON.stringify(event));
}

export function decodeEvent(data: Uint8Array): EventEnvelope {
  return JSON.parse(codec.decoder.decode(data)) as EventEnvelope;
}

/** NATS subject matching: `*` one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}
