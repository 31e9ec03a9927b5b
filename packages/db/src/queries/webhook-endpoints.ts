import { newId } from '@whatisup/contracts';
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { webhookEndpoints } from '../schema/index.ts';
import { type Page, toPage } from './pagination.ts';

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;

export async function insertWebhookEndpoint(
  db: Executor,
  input: {
    customerId: string;
    url: string;
    description: string | null;
    events: string[];
    secretSealed: string;
  },
): Promise<WebhookEndpoint> {
  const [row] = await db
    .insert(webhookEndpoints)
    .values({ id: newId('webhookEndpoint'), ...input })
    .returning();
  return row!;
}

export async function findWebhookEndpoint(
  db: Executor,
  customerId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.customerId, customerId), eq(webhookEndpoints.id, id)));
  return row;
}

export async function listWebhookEndpoints(
  db: Executor,
  customerId: string,
  opts: { limit: number; after?: string | undefined },
): Promise<Page<WebhookEndpoint>> {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.customerId, customerId),
        opts.after ? gt(webhookEndpoints.id, opts.after) : undefined,
      ),
    )
    .orderBy(asc(webhookEndpoints.id))
    .limit(opts.limit + 1);
  return toPage(rows, opts.limit);
}

export async function updateWebhookEndpoint(
  db: Executor,
  customerId: string,
  id: string,
  patch: Partial<
    Pick<
      WebhookEndpoint,
      'url' | 'description' | 'events' | 'secretSealed' | 'previousSecretSealed' | 'previousSecretExpiresAt'
    >
  >,
): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(webhookEndpoints.customerId, customerId), eq(webhookEndpoints.id, id)))
    .returning();
  return row;
}

export async function setWebhookEndpointPaused(
  db: Executor,
  customerId: string,
  id: string,
  paused: boolean,
): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      pausedAt: paused ? sql`coalesce(${webhookEndpoints.pausedAt}, now())` : null,
      updatedAt: new Date(),
    })
    .where(and(eq(webhookEndpoints.customerId, customerId), eq(webhookEndpoints.id, id)))
    .returning();
  return row;
}

export async function deleteWebhookEndpoint(
  db: Executor,
  customerId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.customerId, customerId), eq(webhookEndpoints.id, id)))
    .returning();
  return row;
}

/** Endpoints that may receive events (not disabled); paused ones hold their deliveries. */
export async function listActiveWebhookEndpoints(
  db: Executor,
  customerId: string,
): Promise<WebhookEndpoint[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.customerId, customerId), isNull(webhookEndpoints.disabledAt)));
}
