// The cluster bus: one NATS connection, the JetStream event stream and the worker-registry KV bucket,
// named by the deployment's prefix so several deployments (and tests) can share one NATS server.
import { type EventEnvelope, subjects as makeSubjects, type Subjects } from '@whatisup/contracts';
import {
  connect,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  JSONCodec,
  type KV,
  type NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';

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

export interface NatsBus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly subjects: Subjects;
  /** Publishes an event and waits for JetStream's ack; the event id is the message id (deduplication). */
  publishEvent(event: EventEnvelope): Promise<{ duplicate: boolean; seq: number }>;
  workerRegistry(): Promise<KV>;
  close(): Promise<void>;
}

const codec = JSONCodec<EventEnvelope>();
const DAY_MS = 86_400_000;
const ms = (value: number) => value * 1_000_000;

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
  const js = nc.jetstream();
  let registry: Promise<KV> | undefined;

  return {
    nc,
    js,
    jsm,
    subjects,
    async publishEvent(event) {
      const ack = await js.publish(
        subjects.event(event.customer_id, event.instance_id, event.type),
        codec.encode(event),
        { msgID: event.id, expect: { streamName: subjects.eventStream } },
      );
      return { duplicate: ack.duplicate, seq: ack.seq };
    },
    workerRegistry() {
      registry ??= js.views
        .kv(subjects.workerRegistryBucket, { ttl: options.registryTtlMs ?? 15_000, history: 1 })
        .catch((error: unknown) => {
          // Do not keep a failed attempt: the next caller tries again.
          registry = undefined;
          throw error;
        });
      return registry;
    },
    async close() {
      await nc.drain();
    },
  };
}

async function ensureEventStream(jsm: JetStreamManager, subjects: Subjects, maxAgeMs: number): Promise<void> {
  const config = {
    name: subjects.eventStream,
    subjects: [subjects.allEvents],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: ms(maxAgeMs),
    duplicate_window: ms(120_000),
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

export function decodeEvent(data: Uint8Array): EventEnvelope {
  return codec.decode(data);
}
