// Test fixture: an isolated database, NATS prefix (own stream) and secret key, a real HTTP receiver on
// 127.0.0.1, and the delivery service built in-process exactly as main.ts builds it.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { connectNatsBus, type NatsBus } from '@whatisup/bus';
import { type EventEnvelope, type EventType, makeEvent } from '@whatisup/contracts';
import {
  createDb,
  createSecretBox,
  insertCustomer,
  insertInstance,
  insertWebhookEndpoint,
  type PostgresDbHandle,
  type SecretBox,
} from '@whatisup/db';
import { createTestDatabase, type TestDatabase } from '@whatisup/db/testing';
import pino from 'pino';
import { afterEach, beforeEach } from 'vitest';
import {
  type DeliveryConfig,
  type DeliveryDeps,
  type DeliveryService,
  startDeliveryService,
} from '../src/service.ts';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Fast settings: attempts in milliseconds instead of minutes. */
export const TEST_CONFIG: DeliveryConfig = {
  scheduleMs: [0, 50, 100, 150, 200, 250],
  jitter: 0,
  concurrency: 64,
  endpointConcurrency: 8,
  claimBatch: 200,
  pollIntervalMs: 50,
  connectTimeoutMs: 1_000,
  responseTimeoutMs: 1_000,
  leaseMs: 4_000,
  eventBatch: 200,
  ackWaitMs: 2_000,
  allowPrivateTargets: true,
};

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** When the answer was sent (set then). */
  finishedAt?: number;
}

export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Decides each answer; default 204. `count` is how many requests this webhook-id had before this one. */
  reply: (request: Received, count: number) => ReceiverReply;
  byEventId(id: string): Received[];
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  let server: Server;
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    reply: () => ({ status: 204 }),
    byEventId: (id) => received.filter((r) => r.headers['webhook-id'] === id),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = {
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(request);
      const id = String(req.headers['webhook-id']);
      const count = counts.get(id) ?? 0;
      counts.set(id, count + 1);
      const answer = receiver.reply(request, count);
      const send = () => {
        request.finishedAt = Date.now();
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}${path}`;
  return receiver;
}

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export interface World {
  database: TestDatabase;
  db: PostgresDbHandle;
  bus: NatsBus;
  prefix: string;
  secretsKey: Buffer;
  secretBox: SecretBox;
  logs: string[];
  service: DeliveryService | null;
  start(config?: Partial<DeliveryConfig>, extra?: Pick<DeliveryDeps, 'resolve'>): Promise<DeliveryService>;
  customer(name?: string): Promise<{ id: string; instanceId: string }>;
  endpoint(
    customerId: string,
    url: string,
    opts?: { events?: string[]; secret?: string },
  ): Promise<{ id: string; secret: string }>;
  publish(
    scope: { id: string; instanceId: string },
    type?: EventType,
    data?: Record<string, unknown>,
  ): Promise<EventEnvelope>;
  close(): Promise<void>;
}

export async function createWorld(): Promise<World> {
  const database = await createTestDatabase();
  const db = createDb(database.url, { max: 10 });
  const prefix = `wiutest_${randomBytes(5).toString('hex')}`;
  const bus = await connectNatsBus({ url: NATS_URL, prefix, name: 'delivery-test' });
  const secretsKey = randomBytes(32);
  const secretBox = createSecretBox(secretsKey);
  const logs: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
  );
  const world: World = {
    database,
    db,
    bus,
    prefix,
    secretsKey,
    secretBox,
    logs,
    service: null,
    async start(config = {}, extra = {}) {
      world.service = await startDeliveryService({
        db,
        bus,
        secretBox,
        logger,
        config: { ...TEST_CONFIG, ...config },
        ...extra,
      });
      return world.service;
    },
    async customer(name = 'Acme') {
      const customer = await insertCustomer(db.db, { name });
      const instance = await insertInstance(db.db, { customerId: customer.id, name: 'line-1' });
      return { id: customer.id, instanceId: instance.id };
    },
    async endpoint(customerId, url, opts = {}) {
      const secret = opts.secret ?? newSecret();
      const row = await insertWebhookEndpoint(db.db, {
        customerId,
        url,
        description: null,
        events: opts.events ?? [],
        secretSealed: secretBox.seal(secret),
      });
      return { id: row.id, secret };
    },
    async publish(scope, type = 'message.received', data) {
      const event = makeEvent(
        type,
        { customerId: scope.id, instanceId: scope.instanceId },
        data ?? {
          message_id: `msg_${randomBytes(8).toString('hex')}`,
          wa_message_id: randomBytes(8).toString('hex'),
          from: '15551234567',
          push_name: null,
          type: 'text',
          text: 'hello',
          media: null,
          quoted_id: null,
          timestamp: new Date().toISOString(),
        },
      );
      await bus.publishEvent(event);
      return event;
    },
    async close() {
      await world.service?.stop();
      await bus.jsm.streams.delete(bus.subjects.eventStream).catch(() => {});
      await bus.close();
      await db.close();
      await database.drop();
    },
  };
  return world;
}

/** The current test's world and receiver, in a file that called freshWorldEachTest(). */
export let world: World;
export let receiver: Receiver;

/** Registers the calling file's beforeEach/afterEach: a fresh world and webhook receiver for every test. */
export function freshWorldEachTest(): void {
  beforeEach(async () => {
    world = await createWorld();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await world?.close();
    await receiver?.close();
  });
}

/** Polls until `check` returns a truthy value (or throws after the timeout, with the last value seen). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<NonNullable<Awaited<T>>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<Awaited<T>>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function deliveryRows(world: World, where: { endpointId?: string } = {}) {
  const sql = world.db.sql;
  return sql<
    {
      id: string;
      event_id: string;
      status: string;
      attempts: number;
      last_error: string | null;
      last_response_status: number | null;
      created_at: Date;
    }[]
  >`select id, event_id, status, attempts, last_error, last_response_status, created_at from webhook_deliveries
    ${where.endpointId ? sql`where endpoint_id = ${where.endpointId}` : sql``} order by id`;
}

export async function attemptRows(world: World, deliveryId: string) {
  return world.db.sql<
    {
      attempt: number;
      trigger: string;
      started_at: Date;
      duration_ms: number;
      response_status: number | null;
      error_class: string | null;
      error_message: string | null;
      response_body: string | null;
    }[]
  >`select * from webhook_delivery_attempts where delivery_id = ${deliveryId} order by attempt`;
}
