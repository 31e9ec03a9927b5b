// The delivery log as the API reads it, and the two ways the API asks for an attempt now: a manual retry
// and a test event. The dispatcher's hot path (claim, outcomes) is in delivery-dispatch.ts.
import { newId } from '@whatisup/contracts';
import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { webhookDeliveries, webhookDeliveryAttempts } from '../schema/index.ts';
import { type Page, toPage } from './pagination.ts';

export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookDeliveryAttempt = typeof webhookDeliveryAttempts.$inferSelect;

/** Dispatchers LISTEN on this channel; a NOTIFY wakes them at once instead of at their next poll. */
export const DELIVERIES_DUE_CHANNEL = 'webhook_deliveries_due';

export interface DeliveryFilter {
  status?: 'pending' | 'delivered' | 'failed' | undefined;
  endpointId?: string | undefined;
  eventType?: string | undefined;
  since?: Date | undefined;
  /** Newest first: the cursor is the last (oldest) id of the previous page. */
  before?: string | undefined;
  limit: number;
}

export async function listWebhookDeliveries(
  db: Executor,
  customerId: string,
  filter: DeliveryFilter,
): Promise<Page<WebhookDelivery>> {
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.customerId, customerId),
        filter.status ? eq(webhookDeliveries.status, filter.status) : undefined,
        filter.endpointId ? eq(webhookDeliveries.endpointId, filter.endpointId) : undefined,
        filter.eventType ? eq(webhookDeliveries.eventType, filter.eventType) : undefined,
        filter.since ? gte(webhookDeliveries.createdAt, filter.since) : undefined,
        filter.before ? lt(webhookDeliveries.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit);
}

export async function findWebhookDelivery(
  db: Executor,
  customerId: string,
  id: string,
): Promise<WebhookDelivery | undefined> {
  const [row] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.customerId, customerId), eq(webhookDeliveries.id, id)));
  return row;
}

export async function listDeliveryAttempts(
  db: Executor,
  deliveryId: string,
): Promise<WebhookDeliveryAttempt[]> {
  return db
    .select()
    .from(webhookDeliveryAttempts)
    .where(eq(webhookDeliveryAttempts.deliveryId, deliveryId))
    .orderBy(asc(webhookDeliveryAttempts.attempt));
}

export type ManualRetryResult =
  | { ok: true; delivery: WebhookDelivery }
  | { ok: false; reason: 'not_found' | 'in_flight' };

/**
 * Asks for one more attempt now, whatever the status (a failed delivery gets exactly one; a pending one
 * keeps its remaining schedule). Refused while an attempt is in flight, so no delivery is ever sent by two
 * dispatchers at once. Callers NOTIFY DELIVERIES_DUE_CHANNEL after committing.
 */
export async function requestManualRetry(
  db: Executor,
  customerId: string,
  id: string,
): Promise<ManualRetryResult> {
  const [row] = await db
    .update(webhookDeliveries)
    .set({ status: 'pending', nextTrigger: 'manual', nextAttemptAt: sql`now()` })
    .where(
      and(
        eq(webhookDeliveries.customerId, customerId),
        eq(webhookDeliveries.id, id),
        sql`(${webhookDeliveries.leaseExpiresAt} is null or ${webhookDeliveries.leaseExpiresAt} <= now())`,
      ),
    )
    .returning();
  if (row) return { ok: true, delivery: row };
  return (await findWebhookDelivery(db, customerId, id))
    ? { ok: false, reason: 'in_flight' }
    : { ok: false, reason: 'not_found' };
}

/** A delivery for a `webhook.test` event to one endpoint, due now. */
export async function insertTestDelivery(
  db: Executor,
  input: {
    customerId: string;
    endpointId: string;
    event: { id: string; type: string } & Record<string, unknown>;
  },
): Promise<WebhookDelivery> {
  const [row] = await db
    .insert(webhookDeliveries)
    .values({
      id: newId('webhookDelivery'),
      customerId: input.customerId,
      endpointId: input.endpointId,
      eventId: input.event.id,
      eventType: input.event.type,
      payload: input.event,
      nextTrigger: 'test',
      nextAttemptAt: sql`now()`,
    })
    .returning();
  return row!;
}

export async function notifyDeliveriesDue(db: Executor): Promise<void> {
  await db.execute(sql`select pg_notify(${DELIVERIES_DUE_CHANNEL}, '')`);
}
