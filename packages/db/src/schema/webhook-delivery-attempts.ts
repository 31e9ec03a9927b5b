import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { webhookDeliveries } from './webhook-deliveries.ts';

/**
 * One row per HTTP attempt of a delivery (the delivery log). Append-only; retention follows the delivery
 * (cascade), so the only index is the primary key, which also serves "attempts of a delivery".
 */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    /** 1-based, the delivery's `attempts` counter when this attempt was claimed. */
    attempt: integer('attempt').notNull(),
    /** scheduled | manual | test */
    trigger: text('trigger').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    responseStatus: integer('response_status'),
    /** null on success; http_status, timeout, connection_refused, connection_error, dns, ssrf_blocked, tls, internal */
    errorClass: text('error_class'),
    errorMessage: text('error_message'),
    /** The first 1 KB of the response body, as text. */
    responseBody: text('response_body'),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);
