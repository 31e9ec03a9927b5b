import { bigint, index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The in-process bus's event log (one-machine mode; the cluster keeps events in JetStream). `seq` orders the
 * log, like a stream sequence; `event_id` is unique, so publishing an event twice stores it once.
 */
export const busEvents = pgTable(
  'bus_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: text('event_id').notNull().unique(),
    subject: text('subject').notNull(),
    customerId: text('customer_id').notNull(),
    /** The event envelope as JSON text, exactly as published. */
    payload: text('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('bus_events_customer_seq_idx').on(t.customerId, t.seq),
    index('bus_events_created_at_idx').on(t.createdAt),
  ],
);

/** A durable consumer of the log: every event at or below `ack_floor` is acknowledged. */
export const busConsumers = pgTable('bus_consumers', {
  name: text('name').primaryKey(),
  ackFloor: bigint('ack_floor', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Events acknowledged above a consumer's floor (acks arrive out of order); folded into the floor. */
export const busConsumerAcks = pgTable(
  'bus_consumer_acks',
  {
    consumer: text('consumer').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.seq] })],
);
