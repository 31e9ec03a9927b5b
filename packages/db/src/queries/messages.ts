import { and, desc, eq, inArray, isNull, lt } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { messages } from '../schema/index.ts';
import { type Page, toPage } from './pagination.ts';

export type Message = typeof messages.$inferSelect;

export async function insertOutboundMessage(
  db: Executor,
  input: {
    id: string;
    customerId: string;
    instanceId: string;
    to: string;
    type: string;
    payload: Record<string, unknown>;
    idempotencyKey: string | null;
  },
): Promise<Message> {
  const [row] = await db
    .insert(messages)
    .values({ ...input, direction: 'out', status: 'queued' })
    .returning();
  return row!;
}

/** Tenant-scoped: another customer's (or another instance's) message is simply not found. */
export async function findMessage(
  db: Executor,
  customerId: string,
  instanceId: string,
  id: string,
): Promise<Message | undefined> {
  const [row] = await db
    .select()
    .from(messages)
    .where(
      and(eq(messages.customerId, customerId), eq(messages.instanceId, instanceId), eq(messages.id, id)),
    );
  return row;
}

export async function findMessageByIdempotencyKey(
  db: Executor,
  customerId: string,
  idempotencyKey: string,
): Promise<Message | undefined> {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.customerId, customerId), eq(messages.idempotencyKey, idempotencyKey)));
  return row;
}

/** Newest first: the cursor is the last (oldest) id of the previous page. */
export async function listMessages(
  db: Executor,
  customerId: string,
  instanceId: string,
  opts: { limit: number; before?: string | undefined; status?: string | undefined },
): Promise<Page<Message>> {
  const rows = await db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.customerId, customerId),
        eq(messages.instanceId, instanceId),
        opts.before ? lt(messages.id, opts.before) : undefined,
        opts.status ? eq(messages.status, opts.status) : undefined,
      ),
    )
    .orderBy(desc(messages.id))
    .limit(opts.limit + 1);
  return toPage(rows, opts.limit);
}

/** The worker took the send: record the WhatsApp id it fixed (events may already have moved the status). */
export async function recordMessageAccepted(
  db: Executor,
  id: string,
  waMessageId: string,
): Promise<Message | undefined> {
  const [row] = await db
    .update(messages)
    .set({ waMessageId, updatedAt: new Date() })
    .where(and(eq(messages.id, id), isNull(messages.waMessageId)))
    .returning();
  return row;
}

/** The send never reached a worker that took it: failed, unless an event already moved it on. */
export async function markMessageFailed(
  db: Executor,
  id: string,
  error: { code: string; message: string },
): Promise<Message | undefined> {
  const [row] = await db
    .update(messages)
    .set({ status: 'failed', errorCode: error.code, errorMessage: error.message, updatedAt: new Date() })
    .where(and(eq(messages.id, id), eq(messages.status, 'queued')))
    .returning();
  return row;
}

/**
 * Back to queued for another dispatch, only if it failed with one of `codes` (failures that happened before
 * any worker took it). One caller wins when retries race; the others get undefined.
 */
export async function requeueMessage(
  db: Executor,
  id: string,
  codes: readonly string[],
): Promise<Message | undefined> {
  const [row] = await db
    .update(messages)
    .set({ status: 'queued', errorCode: null, errorMessage: null, updatedAt: new Date() })
    .where(and(eq(messages.id, id), eq(messages.status, 'failed'), inArray(messages.errorCode, [...codes])))
    .returning();
  return row;
}
