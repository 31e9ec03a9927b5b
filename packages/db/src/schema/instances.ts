import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { customers } from './customers.ts';

export const instances = pgTable(
  'instances',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: text('status').notNull().default('created'),
    phone: text('phone'),
    pushName: text('push_name'),
    workerId: text('worker_id'),
    lastErrorCode: text('last_error_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    connectedAt: timestamp('connected_at', { withTimezone: true }),
    /** The last event the projector applied; older events (redelivered or out of order) are ignored. */
    lastEventId: text('last_event_id'),
  },
  (t) => [
    // List by customer in id (= creation) order; also serves tenant-scoped lookups.
    uniqueIndex('instances_customer_id_idx').on(t.customerId, t.id),
    uniqueIndex('instances_customer_name_idx').on(t.customerId, t.name),
    index('instances_worker_idx').on(t.workerId),
  ],
);
