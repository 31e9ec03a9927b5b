import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Events the projector has applied, so a redelivered event is applied once. Event ids sort by time, so
 * retention is a primary-key range delete (`event_id < 'evt_<time>'`) and needs no other index.
 */
export const processedEvents = pgTable('processed_events', {
  eventId: text('event_id').primaryKey(),
  processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
});
