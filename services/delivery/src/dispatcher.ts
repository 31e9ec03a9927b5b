// The dispatcher: claims due deliveries in batches, sends each as a signed POST within a global and a
// per-endpoint concurrency cap, and records outcomes in batches. Any number of dispatchers may share a
// database: the claim is a lease taken with FOR UPDATE SKIP LOCKED.

import type { KeyObject } from 'node:crypto';
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDueDeliveries,
  type Database,
  type DbHandle,
  DELIVERIES_DUE_CHANNEL,
  recordAttemptOutcomes,
  releaseClaims,
  type SecretBox,
} from '@whatisup/db';
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import type { DeliveryMetrics } from './metrics.ts';
import { nextRetryDelay, parseRetryAfter, type RetryPolicy } from './schedule.ts';
import { type AttemptResult, postWebhook } from './sender.ts';
import { secretKey, signatureHeader } from './signer.ts';

export interface DispatcherOptions {
  db: DbHandle;
  secretBox: SecretBox;
  agent: Agent;
  logger: Logger;
  metrics: DeliveryMetrics;
  policy: RetryPolicy;
  concurrency: number;
  endpointConcurrency: number;
  claimBatch: number;
  pollIntervalMs: number;
  leaseMs: number;
  /** The longest one attempt can take (connect + headers + body timeouts); must be below leaseMs. */
  maxAttemptMs: number;
}

export interface Dispatcher {
  start(): Promise<void>;
  /** How many more deliveries this process would take for the endpoint right now (fan-out claims that many). */
  room(endpointId: string): number;
  /** Deliveries claimed elsewhere in this process (fan-out's insert-and-claim), to be sent like claimed ones. */
  adopt(deliveries: ClaimedDelivery[], claimedAt: number): void;
  /** Claim now (new deliveries were written by this process). */
  wake(): void;
  readonly inFlight: number;
  /** Stops claiming, waits for attempts in flight and records their outcomes. */
  stop(): Promise<void>;
}

const USER_AGENT = 'WhatIsUp-Webhooks/1';
const FLUSH_SIZE = 500;
const FLUSH_DELAY_MS = 2;

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { logger, metrics } = options;
  const { db } = options.db;
  /** Claimed and not finished, per endpoint (queued + in flight): what the claim query counts as busy. */
  const held = new Map<string, number>();
  const active = new Map<string, number>();
  const queues = new Map<string, { delivery: ClaimedDelivery; claimedAt: number }[]>();
  const toRelease: ClaimedDelivery[] = [];
  const recording = new Set<Promise<void>>();
  // Claim ahead of the send slots so a finished attempt is replaced without a database round trip.
  const holdCap = options.concurrency * 2;
  const endpointHoldCap = options.endpointConcurrency * 4;
  const maxAttemptMs = options.maxAttemptMs;
  let totalHeld = 0;
  /** The last claim was limited by this process's caps, so rows may be waiting for free capacity. */
  let starved = false;
  const attempts = new Set<Promise<void>>();
  const keys = new Map<string, KeyObject>();
  let inFlight = 0;
  let stopping = false;
  let wakePending = false;
  let wakeUp: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  const recorder = createOutcomeRecorder(db, logger);

  function wake(): void {
    wakePending = true;
    wakeUp?.();
  }

  function waitForWake(timeoutMs: number): Promise<void> {
    if (wakePending) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
  }

  function keyOf(sealed: string): KeyObject {
    let key = keys.get(sealed);
    if (!key) {
      if (keys.size >= 10_000) keys.clear();
      key = secretKey(options.secretBox.open(sealed));
      keys.set(sealed, key);
    }
    return key;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      wakePending = false;
      const room = holdCap - totalHeld;
      if (room <= 0) {
        starved = true;
        await waitForWake(options.pollIntervalMs);
        continue;
      }
      const limit = Math.min(room, options.claimBatch);
      const saturated = [...held.values()].some((n) => n >= endpointHoldCap);
      // Taken before the query: the lease started no later than this.
      const claimedAt = Date.now();
      let claimed: ClaimedDelivery[];
      try {
        claimed = await claimDueDeliveries(db, {
          limit,
          scan: Math.max(limit * 2, 500),
          perEndpointCap: endpointHoldCap,
          busy: held,
          leaseMs: options.leaseMs,
        });
      } catch (error) {
        logger.error({ err: error }, 'claiming deliveries failed');
        await waitForWake(options.pollIntervalMs);
        continue;
      }
      for (const delivery of claimed) hold(delivery, claimedAt);
      for (const endpointId of new Set(claimed.map((d) => d.endpointId))) pump(endpointId);
      // More may be due than this claim could take: finished attempts should trigger the next claim.
      // (the claim was capped globally, or per endpoint: an endpoint was, or now is, at its hold cap).
      starved = claimed.length >= limit || saturated || [...held.values()].some((n) => n >= endpointHoldCap);
      // Claim again at once while claims find work (a claim can come back short when rows at the head of
      // the queue are locked by another claimer); sleep only when there was nothing to take.
      if (claimed.length === 0) await waitForWake(options.pollIntervalMs);
    }
  }

  function hold(delivery: ClaimedDelivery, claimedAt: number): void {
    let queue = queues.get(delivery.endpointId);
    if (!queue) {
      queue = [];
      queues.set(delivery.endpointId, queue);
    }
    queue.push({ delivery, claimedAt });
    held.set(delivery.endpointId, (held.get(delivery.endpointId) ?? 0) + 1);
    totalHeld++;
  }

  function unhold(endpointId: string): void {
    const left = held.get(endpointId)! - 1;
    if (left === 0) held.delete(endpointId);
    else held.set(endpointId, left);
    totalHeld--;
  }

  /** Starts queued attempts of an endpoint while it and the process have free slots. */
  function pump(endpointId: string): void {
    const queue = queues.get(endpointId);
    while (queue && queue.length > 0 && inFlight < options.concurrency) {
      if ((active.get(endpointId) ?? 0) >= options.endpointConcurrency) return;
      const { delivery, claimedAt } = queue.shift()!;
      if (queue.length === 0) queues.delete(endpointId);
      // Too close to the end of its lease to finish inside it: give it back rather than risk a second sender.
      if (Date.now() - claimedAt > options.leaseMs - maxAttemptMs) {
        unhold(endpointId);
        toRelease.push(delivery);
        void releaseStale();
        continue;
      }
      start(delivery);
    }
  }

  function start(delivery: ClaimedDelivery): void {
    inFlight++;
    active.set(delivery.endpointId, (active.get(delivery.endpointId) ?? 0) + 1);
    const attempt = send(delivery)
      .catch((error) => logger.error({ err: error, delivery_id: delivery.id }, 'delivery attempt crashed'))
      .finally(() => {
        inFlight--;
        const left = active.get(delivery.endpointId)! - 1;
        if (left === 0) active.delete(delivery.endpointId);
        else active.set(delivery.endpointId, left);
        unhold(delivery.endpointId);
        attempts.delete(attempt);
        pump(delivery.endpointId);
        if (inFlight < options.concurrency) for (const other of queues.keys()) pump(other);
        if (
          starved &&
          ((held.get(delivery.endpointId) ?? 0) <= endpointHoldCap / 2 || totalHeld <= holdCap / 2)
        )
          wake();
      });
    attempts.add(attempt);
  }

  async function releaseStale(): Promise<void> {
    const claims = toRelease.splice(0);
    if (claims.length === 0) return;
    await releaseClaims(db, claims).catch((error) =>
      logger.warn(
        { err: error, deliveries: claims.length },
        'releasing claims failed; their leases will expire',
      ),
    );
  }

  async function send(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    const body = webhookBody(delivery.payload);
    const signingKeys = [keyOf(delivery.secretSealed)];
    if (delivery.previousSecretSealed) signingKeys.push(keyOf(delivery.previousSecretSealed));
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': delivery.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(signingKeys, delivery.eventId, timestamp, body),
      'x-whatisup-endpoint-id': delivery.endpointId,
      'x-whatisup-event-type': delivery.eventType,
    };
    const result = await postWebhook(options.agent, delivery.url, headers, body);
    const outcome = toOutcome(delivery, result, startedAt, options.policy);
    metrics.recordAttempt(outcome);
    if (
      outcome.status === 'pending' &&
      outcome.retryInMs !== null &&
      outcome.retryInMs < options.pollIntervalMs
    ) {
      setTimeout(wake, outcome.retryInMs + 5).unref();
    }
    logger.debug(
      {
        delivery_id: delivery.id,
        endpoint_id: delivery.endpointId,
        event_id: delivery.eventId,
        attempt: delivery.attempt,
        status: result.status,
        error_class: result.errorClass,
        duration_ms: result.durationMs,
        outcome: outcome.status,
      },
      'webhook attempt',
    );
    // The send slot is free once the response is in; the outcome is written with the next batch.
    const recorded: Promise<void> = recorder.add(outcome).finally(() => recording.delete(recorded));
    recording.add(recorded);
  }

  return {
    async start() {
      unlisten = await options.db.listen(DELIVERIES_DUE_CHANNEL, () => wake());
      loop = run();
    },
    wake,
    room(endpointId) {
      if (stopping) return 0;
      return Math.max(0, Math.min(holdCap - totalHeld, endpointHoldCap - (held.get(endpointId) ?? 0)));
    },
    adopt(deliveries, claimedAt) {
      for (const delivery of deliveries) hold(delivery, claimedAt);
      for (const endpointId of new Set(deliveries.map((d) => d.endpointId))) pump(endpointId);
    },
    get inFlight() {
      return inFlight;
    },
    async stop() {
      stopping = true;
      wake();
      await loop;
      for (const [endpointId, queue] of queues) {
        for (const { delivery } of queue) {
          toRelease.push(delivery);
          unhold(endpointId);
        }
      }
      queues.clear();
      await releaseStale();
      await Promise.allSettled([...attempts]);
      await Promise.allSettled([...recording]);
      await recorder.close();
      await unlisten?.().catch(() => {});
    },
  };
}

/** The envelope in its documented field order (jsonb does not keep key order), serialised once, then signed. */
export function webhookBody(payload: Record<string, unknown>): string {
  const { id, type, created_at, customer_id, instance_id, data, ...rest } = payload;
  return JSON.stringify({ id, type, created_at, customer_id, instance_id, data, ...rest });
}

export function toOutcome(
  delivery: ClaimedDelivery,
  result: AttemptResult,
  startedAt: Date,
  policy: RetryPolicy,
): AttemptOutcome {
  const base = {
    deliveryId: delivery.id,
    endpointId: delivery.endpointId,
    attempt: delivery.attempt,
    trigger: delivery.trigger,
    startedAt,
    durationMs: result.durationMs,
    responseStatus: result.status,
    errorClass: result.errorClass,
    errorMessage: result.errorMessage,
    responseBody: result.body,
    disableEndpointReason:
      result.status === 410
        ? `the endpoint answered 410 Gone on ${startedAt.toISOString()}; resume it to deliver again`
        : null,
  };
  if (result.ok) return { ...base, status: 'delivered', retryInMs: null };
  const retryAfterMs =
    result.status === 429 || result.status === 503 ? parseRetryAfter(result.retryAfter) : null;
  const scheduledDone = delivery.attempt - delivery.manualAttempts;
  const delay = nextRetryDelay(policy, scheduledDone, retryAfterMs);
  return delay === null
    ? { ...base, status: 'failed', retryInMs: null }
    : { ...base, status: 'pending', retryInMs: delay };
}

/** Buffers outcomes and writes them in batches; `add` resolves once its outcome is committed. */
function createOutcomeRecorder(db: Database, logger: Logger) {
  const pending: { outcome: AttemptOutcome; done: () => void }[] = [];
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  async function flush(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, FLUSH_SIZE);
      for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
        try {
          await recordAttemptOutcomes(
            db,
            batch.map((b) => b.outcome),
          );
          break;
        } catch (error) {
          logger.error({ err: error, outcomes: batch.length }, 'recording attempt outcomes failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
      for (const item of batch) item.done();
    }
  }

  function schedule(): void {
    if (flushing || timer) return;
    timer = setTimeout(() => {
      timer = null;
      flushing = flush().finally(() => {
        flushing = null;
        if (pending.length > 0) schedule();
      });
    }, FLUSH_DELAY_MS);
  }

  return {
    add(outcome: AttemptOutcome): Promise<void> {
      return new Promise((resolve) => {
        pending.push({ outcome, done: resolve });
        schedule();
      });
    },
    async close(): Promise<void> {
      while (flushing || timer || pending.length > 0) {
        if (timer) {
          clearTimeout(timer);
          timer = null;
        }
        if (flushing) await flushing;
        else if (pending.length > 0) await flush();
      }
    },
  };
}
