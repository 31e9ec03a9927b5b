import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { customers } from './customers.ts';

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types delivered to this endpoint; an empty array means every type. */
    events: text('events').array().notNull().default([]),
    /** AES-256-GCM sealed `whsec_…` secret (see secret-box.ts); never stored in the clear. */
    secretSealed: text('secret_sealed').notNull(),
    /** The secret replaced by the last rotation, still signing until previous_secret_expires_at. */
    previousSecretSealed: text('previous_secret_sealed'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    disabledReason: text('disabled_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_customer_idx').on(t.customerId, t.id)],
);
