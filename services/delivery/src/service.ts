// Assembles the delivery service from its dependencies: the projector and fan-out consumers, the
// dispatcher, metrics sources and the readiness check. main.ts and the tests build it the same way.
import type { Bus } from '@whatisup/bus';
import {
  applyProjections,
  type DbHandle,
  insertDeliveries,
  listFanOutEndpoints,
  type Projection,
  pendingByEndpoint,
  type SecretBox,
} from '@whatisup/db';
import type { Resolver } from '@whatisup/ssrf-guard';
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import { type BatchConsumer, startBatchConsumer } from './consumer.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import { planDeliveries } from './fan-out.ts';
import { createMetrics, type DeliveryMetrics } from './metrics.ts';
import { toProjection } from './projector.ts';
import { createDeliveryAgent } from './sender.ts';

export interface DeliveryConfig {
  scheduleMs: number[];
  jitter: number;
  concurrency: number;
  endpointConcurrency: number;
  claimBatch: number;
  pollIntervalMs: number;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  leaseMs: number;
  eventBatch: number;
  /** How long JetStream waits for an ack before redelivering an event (to another replica after a crash). */
  ackWaitMs: number;
  allowPrivateTargets: boolean;
}

export interface DeliveryDeps {
  db: DbHandle;
  bus: Bus;
  secretBox: SecretBox;
  logger: Logger;
  config: DeliveryConfig;
  /** Tests only: the DNS resolver behind the SSRF guard. */
  resolve?: Resolver;
}

export const CONSUMERS = { projector: 'delivery_projector', fanout: 'delivery_fanout' } as const;

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string; ms: number }>;
}

export interface DeliveryService {
  readonly metrics: DeliveryMetrics;
  readonly dispatcher: Dispatcher;
  ready(): Promise<ReadyReport>;
  stop(): Promise<void>;
}

export async function startDeliveryService(deps: DeliveryDeps): Promise<DeliveryService> {
  const { bus, logger, config } = deps;
  const { db } = deps.db;
  const metrics = createMetrics();
  const agent: Agent = createDeliveryAgent({
    allowPrivateTargets: config.allowPrivateTargets,
    connectTimeoutMs: config.connectTimeoutMs,
    responseTimeoutMs: config.responseTimeoutMs,
    resolve: deps.resolve,
  });
  const dispatcher = createDispatcher({
    db: deps.db,
    secretBox: deps.secretBox,
    agent,
    logger,
    metrics,
    policy: { scheduleMs: config.scheduleMs, jitter: config.jitter },
    concurrency: config.concurrency,
    endpointConcurrency: config.endpointConcurrency,
    claimBatch: config.claimBatch,
    pollIntervalMs: config.pollIntervalMs,
    leaseMs: config.leaseMs,
    maxAttemptMs: config.connectTimeoutMs + 2 * config.responseTimeoutMs,
  });
  for (const durable of Object.values(CONSUMERS))
    await bus.ensureConsumer(durable, { ackWaitMs: config.ackWaitMs });

  await dispatcher.start();
  const consumers: BatchConsumer[] = [
    await startBatchConsumer({
      bus,
      durable: CONSUMERS.fanout,
      ackWaitMs: config.ackWaitMs,
      maxBatch: config.eventBatch,
      logger,
      async handle(events) {
        const customers = [...new Set(events.map((e) => e.customer_id))];
        const endpoints = new Map((await listFanOutEndpoints(db, customers)).map((e) => [e.id, e]));
        const rows = planDeliveries(events, [...endpoints.values()]);
        // Claim what this process can send now in the same statement: no claim query, no wake-up.
        const room = new Map<string, number>();
        for (const row of rows) {
          if (endpoints.get(row.endpointId)!.paused) continue;
          const left = room.get(row.endpointId) ?? dispatcher.room(row.endpointId);
          row.claim = left > 0;
          room.set(row.endpointId, left - 1);
        }
        const claimedAt = Date.now();
        const { claimed } = await insertDeliveries(db, rows, config.leaseMs);
        const byId = new Map(events.map((e) => [e.id, e]));
        dispatcher.adopt(
          rows
            .filter((row) => claimed.has(row.id))
            .map((row) => {
              const endpoint = endpoints.get(row.endpointId)!;
              return {
                id: row.id,
                customerId: row.customerId,
                endpointId: row.endpointId,
                eventId: row.eventId,
                eventType: row.eventType,
                payload: byId.get(row.eventId)!,
                attempt: 1,
                manualAttempts: 0,
                trigger: 'scheduled' as const,
                url: endpoint.url,
                secretSealed: endpoint.secretSealed,
                previousSecretSealed: endpoint.previousSecretSealed,
              };
            }),
          claimedAt,
        );
        metrics.recordEvents('fanout', events.length);
      },
    }),
    await startBatchConsumer({
      bus,
      durable: CONSUMERS.projector,
      ackWaitMs: config.ackWaitMs,
      maxBatch: config.eventBatch,
      logger,
      async handle(events) {
        const projections: Projection[] = [];
        for (const event of events) {
          const projection = toProjection(event);
          if (projection === 'invalid') {
            logger.warn(
              { event_id: event.id, type: event.type },
              'event data does not match its contract; not projected',
            );
          } else if (projection) projections.push(projection);
        }
        await applyProjections(
          db,
          projections.map((p) => p.eventId),
          projections,
        );
        metrics.recordEvents('projector', events.length);
      },
    }),
  ];

  let depthCache: { at: number; rows: Promise<Awaited<ReturnType<typeof pendingByEndpoint>>> } | null = null;
  metrics.setSources({
    queueDepth() {
      if (!depthCache || Date.now() - depthCache.at > 1_000)
        depthCache = { at: Date.now(), rows: pendingByEndpoint(db, 50).catch(() => []) };
      return depthCache.rows;
    },
    async consumerLag() {
      const out = [];
      for (const durable of Object.values(CONSUMERS)) {
        const lag = await bus.consumerLag(durable).catch(() => null);
        if (lag) out.push({ consumer: durable, ...lag });
      }
      return out;
    },
  });

  return {
    metrics,
    dispatcher,
    async ready() {
      const checks: ReadyReport['checks'] = {};
      const timed = async (name: string, check: () => Promise<string | undefined>) => {
        const started = performance.now();
        try {
          const detail = await check();
          checks[name] = {
            ok: true,
            ms: Math.round(performance.now() - started),
            ...(detail ? { detail } : {}),
          };
        } catch (error) {
          checks[name] = {
            ok: false,
            detail: (error as Error).message,
            ms: Math.round(performance.now() - started),
          };
        }
      };
      await Promise.all([
        timed('postgres', async () => {
          await deps.db.ping();
          return undefined;
        }),
        timed('jetstream', async () => {
          const lag = [];
          for (const durable of Object.values(CONSUMERS)) {
            const { pending, ackPending } = await bus.consumerLag(durable);
            lag.push(`${durable}: ${pending} pending, ${ackPending} unacknowledged`);
          }
          return lag.join('; ');
        }),
      ]);
      return { ready: Object.values(checks).every((c) => c.ok), checks };
    },
    async stop() {
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await dispatcher.stop();
      await agent.close().catch(() => {});
    },
  };
}
