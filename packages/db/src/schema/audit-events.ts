import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { customers } from './customers.ts';

export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    /** 'api_key', 'admin' or 'system' */
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    /** e.g. instance.create, webhook_endpoint.pause */
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    correlationId: text('correlation_id'),
    metadata: jsonb('metadata').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Ids sort by time, so (customer, id) serves newest-first listing and time-range filters alike.
    index('audit_events_customer_id_idx').on(t.customerId, t.id),
    index('audit_events_customer_target_idx').on(t.customerId, t.targetId, t.id),
    index('audit_events_created_idx').on(t.createdAt),
  ],
);
