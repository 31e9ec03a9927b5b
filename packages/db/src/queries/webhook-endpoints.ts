import { newId } from '@whatisup/contracts';
import { and, asc, eq, gt, isNotNull, isNull, or, sql } from 'drizzle-orm';
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

/** Pauses the endpoint; returns the row only if it was not paused already (so callers audit real changes). */
export async function pauseWebhookEndpoint(
  db: Executor,
  customerId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ pausedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        eq(webhookEndpoints.customerId, customerId),
        eq(webhookEndpoints.id, id),
        isNull(webhookEndpoints.pausedAt),
      ),
    )
    .returning();
  return row;
}

/**
 * Clears a pause and a disable (e.g. after the receiver answered 410 Gone), so deliveries flow again;
 * returns the row only if it was paused or disabled.
 */
export async function resumeWebhookEndpoint(
  db: Executor,
  customerId: string,
  id: string,
): Promise<WebhookEndpoint | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ pausedAt: null, disabledAt: null, disabledReason: null, updatedAt: sql`now()` })
    .where(
      and(
        eq(webhookEndpoints.customerId, customerId),
        eq(webhookEndpoints.id, id),
        or(isNotNull(webhookEndpoints.pausedAt), isNotNull(webhookEndpoints.disabledAt)),
      ),
    )
    .returning();
  return row;
}

/**
 * Replaces the signing secret in one statement. With a positive overlap the current secret becomes the
 * previous one and keeps signing until now() + overlap; with 0 it stops at once. Only one previous secret
 * is kept: rotating again inside the window drops the older one.
 */
export async function rotateWebhookEndpointSecret(
  db: Executor,
  customerId: string,
  id: string,
  input: { secretSealed: string; overlapSeconds: number },
): Promise<WebhookEndpoint | undefined> {
  const keepPrevious = input.overlapSeconds > 0;
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      secretSealed: input.secretSealed,
      previousSecretSealed: keepPrevious ? sql`${webhookEndpoints.secretSealed}` : null,
      previousSecretExpiresAt: keepPrevious
        ? sql`now() + make_interval(secs => ${input.overlapSeconds})`
        : null,
      updatedAt: sql`now()`,
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
