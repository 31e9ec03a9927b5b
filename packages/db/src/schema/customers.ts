import { integer, pgTable, real, text, timestamp } from 'drizzle-orm/pg-core';

export const customers = pgTable('customers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Token-bucket overrides; null means the deployment default. */
  rateLimitBurst: integer('rate_limit_burst'),
  rateLimitPerSecond: real('rate_limit_per_second'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
