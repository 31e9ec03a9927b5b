// The dispatcher: claims due deliveries in batches, sends each as a signed POST within a global and a
// per-endpoint concurrency cap, and records outcomes in batches. Any number of dispatchers may share a
// database: the claim is a lease taken with FOR UPDATE SKIP LOCKED.
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDueDeliveries,
  DELIVERIES_DUE_CHANNEL,
  recordAttemptOutcomes,
  type SecretBox,
  type Sql,
} from '@whatisup/db';
import type { Logger } from 'pino';
import type { Agent } from 'undici';
import type { DeliveryMetrics } from './metrics.ts';
import { nextRetryDelay, parseRetryAfter, type RetryPolicy } from './schedule.ts';
import { type AttemptResult, postWebhook } from './sender.ts';
import { secretKey, signatureHeader } from './signer.ts';

export interface DispatcherOptions {
  sql: Sql;
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
}

export interface Dispatcher {
  start(): Promise<void>;
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
  const { sql, logger, metrics } = options;
  const busy = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  const keys = new Map<string, Buffer>();
  let inFlight = 0;
  let stopping = false;
  let wakePending = false;
  let wakeUp: (() => void) | null = null;
  let loop: Promise<void> | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  const recorder = createOutcomeRecorder(sql, logger);

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

  function keyOf(sealed: string): Buffer {
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
      const free = options.concurrency - inFlight;
      if (free <= 0) {
        await waitForWake(options.pollIntervalMs);
        wakePending = false;
        continue;
      }
      wakePending = false;
      const limit = Math.min(free, options.claimBatch);
      let claimed: ClaimedDelivery[];
      try {
        claimed = await claimDueDeliveries(sql, {
          limit,
          scan: Math.max(limit * 4, 1_000),
          perEndpointCap: options.endpointConcurrency,
          busy,
          leaseMs: options.leaseMs,
        });
      } catch (error) {
        logger.error({ err: error }, 'claiming deliveries failed');
        await waitForWake(options.pollIntervalMs);
        continue;
      }
      for (const delivery of claimed) launch(delivery);
      if (claimed.length < limit) await waitForWake(options.pollIntervalMs);
    }
  }

  function launch(delivery: ClaimedDelivery): void {
    inFlight++;
    busy.set(delivery.endpointId, (busy.get(delivery.endpointId) ?? 0) + 1);
    const attempt = send(delivery)
      .catch((error) => logger.error({ err: error, delivery_id: delivery.id }, 'delivery attempt crashed'))
      .finally(() => {
        const wasFull =
          inFlight >= options.concurrency || busy.get(delivery.endpointId)! >= options.endpointConcurrency;
        inFlight--;
        const left = busy.get(delivery.endpointId)! - 1;
        if (left === 0) busy.delete(delivery.endpointId);
        else busy.set(delivery.endpointId, left);
        attempts.delete(attempt);
        if (wasFull) wake();
      });
    attempts.add(attempt);
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
    await recorder.add(outcome);
  }

  return {
    async start() {
      const listener = await sql.listen(DELIVERIES_DUE_CHANNEL, () => wake());
      unlisten = listener.unlisten;
      loop = run();
    },
    wake,
    get inFlight() {
      return inFlight;
    },
    async stop() {
      stopping = true;
      wake();
      await loop;
      await Promise.allSettled([...attempts]);
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
function createOutcomeRecorder(sql: Sql, logger: Logger) {
  const pending: { outcome: AttemptOutcome; done: () => void }[] = [];
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  async function flush(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, FLUSH_SIZE);
      for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
        try {
          await recordAttemptOutcomes(
            sql,
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
