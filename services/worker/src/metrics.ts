// Prometheus metrics of one worker process.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export function createWorkerMetrics() {
  const registry = new Registry();
  // process_resident_memory_bytes, nodejs_heap_size_used_bytes, event-loop lag, GC: what a session costs.
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    sessionsByState: new Gauge({
      name: 'whatisup_worker_sessions',
      help: 'Held sessions by state',
      labelNames: ['state'],
      registers: [registry],
    }),
    capacity: new Gauge({
      name: 'whatisup_worker_capacity',
      help: 'MAX_SESSIONS_PER_WORKER',
      registers: [registry],
    }),
    sends: new Counter({
      name: 'whatisup_worker_sends_total',
      help: 'Messages sent to WhatsApp',
      registers: [registry],
    }),
    sessionInvalidations: new Counter({
      name: 'whatisup_worker_session_invalidations_total',
      help: 'Sessions WhatsApp invalidated, by reason (device_removed, connection_replaced, logged_out)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    sendFailures: new Counter({
      name: 'whatisup_worker_send_failures_total',
      help: 'Failed sends by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    reconnects: new Gauge({
      name: 'whatisup_worker_reconnects',
      help: 'Reconnects scheduled since start (all sessions)',
      registers: [registry],
    }),
    eventsPending: new Gauge({
      name: 'whatisup_worker_events_pending',
      help: 'Events waiting to be published to JetStream',
      registers: [registry],
    }),
    eventsDropped: new Gauge({
      name: 'whatisup_worker_events_dropped',
      help: 'Events dropped because the buffer was full',
      registers: [registry],
    }),
    eventPublishLag: new Gauge({
      name: 'whatisup_worker_event_publish_lag_seconds',
      help: 'Event creation to JetStream ack, last observed',
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
