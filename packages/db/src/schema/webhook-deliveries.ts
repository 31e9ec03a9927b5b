import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { customers } from './customers.ts';
import { webhookEndpoints } from './webhook-endpoints.ts';

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The event envelope exactly as it is signed and sent. */
    payload: jsonb('payload').notNull(),
    /** pending → delivered | failed */
    status: text('status').notNull().default('pending'),
    /** Every attempt made, whatever triggered it (the attempt log numbers them 1..attempts). */
    attempts: integer('attempts').notNull().default(0),
    /** Attempts made by manual retries; they do not spend the schedule (scheduled = attempts - manual). */
    manualAttempts: integer('manual_attempts').notNull().default(0),
    /** What the next attempt is: scheduled | manual | test (recorded on the attempt). */
    nextTrigger: text('next_trigger').notNull().default('scheduled'),
    /**
     * Set while a dispatcher holds the delivery (claimed, attempt in flight); next_attempt_at then equals it,
     * so a dispatcher that died mid-attempt gives the delivery back when the lease ends.
     */
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    lastError: text('last_error'),
    lastResponseStatus: integer('last_response_status'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_endpoint_event_idx').on(t.endpointId, t.eventId),
    // The dispatcher's claim query: due pending rows only, so the index stays small.
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_customer_status_idx').on(t.customerId, t.status, t.id),
    index('webhook_deliveries_created_idx').on(t.createdAt),
  ],
);
