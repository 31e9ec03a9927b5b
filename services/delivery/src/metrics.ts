// Prometheus metrics of the delivery service. Queue depth and consumer lag are read at scrape time.
import type { AttemptOutcome } from '@whatisup/db';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ScrapeSources {
  /** Pending deliveries per endpoint (the deepest queues only). */
  queueDepth(): Promise<{ endpointId: string; pending: number; oldestPendingSeconds: number }[]>;
  /** Messages not yet acknowledged per durable consumer. */
  consumerLag(): Promise<{ consumer: string; pending: number; ackPending: number }[]>;
}

export interface DeliveryMetrics {
  readonly registry: Registry;
  recordAttempt(outcome: AttemptOutcome): void;
  recordEvents(consumer: string, count: number): void;
  setSources(sources: ScrapeSources): void;
}

export function createMetrics(): DeliveryMetrics {
  const registry = new Registry();
  let sources: ScrapeSources | null = null;

  const deliveries = new Counter({
    name: 'whatisup_webhook_deliveries_total',
    help: 'Delivery attempts by outcome: delivered, retry (failed attempt, another is scheduled), failed (schedule spent)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'whatisup_webhook_attempts_total',
    help: 'HTTP attempts by result class (success, http_status, timeout, connection_refused, ssrf_blocked, …)',
    labelNames: ['result'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'whatisup_webhook_attempt_duration_seconds',
    help: 'Duration of one webhook attempt, connect to end of response',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
    registers: [registry],
  });
  const events = new Counter({
    name: 'whatisup_delivery_events_total',
    help: 'Events processed per consumer (projector, fanout)',
    labelNames: ['consumer'],
    registers: [registry],
  });
  new Gauge({
    name: 'whatisup_webhook_queue_depth',
    help: 'Pending deliveries per endpoint (the 50 deepest queues)',
    labelNames: ['endpoint_id'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of (await sources?.queueDepth()) ?? [])
        this.set({ endpoint_id: row.endpointId }, row.pending);
    },
  });
  new Gauge({
    name: 'whatisup_webhook_oldest_pending_seconds',
    help: 'Age of the oldest pending delivery per endpoint (the 50 deepest queues)',
    labelNames: ['endpoint_id'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of (await sources?.queueDepth()) ?? [])
        this.set({ endpoint_id: row.endpointId }, row.oldestPendingSeconds);
    },
  });
  new Gauge({
    name: 'whatisup_delivery_consumer_lag',
    help: 'Events in the stream not yet delivered to the consumer (pending) or delivered but not acknowledged (ack_pending)',
    labelNames: ['consumer', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of (await sources?.consumerLag()) ?? []) {
        this.set({ consumer: row.consumer, state: 'pending' }, row.pending);
        this.set({ consumer: row.consumer, state: 'ack_pending' }, row.ackPending);
      }
    },
  });

  return {
    registry,
    recordAttempt(outcome) {
      deliveries.inc({ outcome: outcome.status === 'pending' ? 'retry' : outcome.status });
      attempts.inc({ result: outcome.errorClass ?? 'success' });
      latency.observe(outcome.durationMs / 1000);
    },
    recordEvents(consumer, count) {
      events.inc({ consumer }, count);
    },
    setSources(next) {
      sources = next;
    },
  };
}
