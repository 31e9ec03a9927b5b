// The projector's writes: instance and message state from events, applied once per event id.
import { sql } from 'drizzle-orm';
import { type Executor, queryRows, type Tx } from '../client.ts';

/** One array parameter (a bare array in drizzle's `sql` would become a list of parameters). */
const array = (values: readonly unknown[]) => sql.param(values);

/** A change to an instance from one event; undefined fields are left as they are. */
export interface InstancePatch {
  kind: 'instance';
  eventId: string;
  customerId: string;
  instanceId: string;
  status?: string | undefined;
  phone?: string | undefined;
  pushName?: string | null | undefined;
  workerId?: string | undefined;
  connectedAt?: Date | undefined;
  /** null clears the last error; undefined keeps it. */
  lastError?: { code: string; message: string } | null | undefined;
}

/** A send's status change. */
export interface MessageStatusPatch {
  kind: 'message_status';
  eventId: string;
  customerId: string;
  instanceId: string;
  messageId: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  waMessageId: string | null;
  error: { code: string; message: string } | null;
}

/** An inbound message (direction 'in'). */
export interface InboundMessage {
  kind: 'message_in';
  eventId: string;
  customerId: string;
  instanceId: string;
  messageId: string;
  waMessageId: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export type Projection = InstancePatch | MessageStatusPatch | InboundMessage;

/**
 * Message statuses only move forward in this order; an event that would move one back is ignored (it was
 * redelivered or overtaken). `failed` ranks above `sent` (a send can fail after the server took it) and
 * below `delivered`/`read` (a receipt from the recipient's phone proves delivery whatever was said before).
 */
export const MESSAGE_STATUS_ORDER = ['queued', 'sent', 'failed', 'delivered', 'read'] as const;

/**
 * Applies a batch in one transaction, each event at most once (processed_events), in the order given.
 * Returns the ids that were new. Instance rows also keep the last applied event id and ignore older events,
 * so an event that arrives after a newer one for the same instance cannot roll its state back.
 */
export async function applyProjections(
  db: Executor,
  eventIds: string[],
  projections: Projection[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  return db.transaction(async (tx) => {
    const fresh = new Set(
      (
        await queryRows<{ event_id: string }>(
          tx,
          sql`
          insert into processed_events (event_id) select unnest(${array(eventIds)}::text[])
          on conflict do nothing returning event_id`,
          'wiu_mark_processed',
        )
      ).map((r) => r.event_id),
    );
    const apply = projections.filter((p) => fresh.has(p.eventId));
    // Instance changes are rare and ordered: one statement each. Message changes are batched: one statement
    // for the inbound messages, one for the status changes. All issued together, so postgres.js pipelines them
    // (PGlite runs them one after the other).
    await Promise.all([
      ...apply.flatMap((p) => (p.kind === 'instance' ? [applyInstancePatch(tx, p)] : [])),
      insertInbound(
        tx,
        apply.filter((p): p is InboundMessage => p.kind === 'message_in'),
      ),
      updateStatuses(
        tx,
        apply.filter((p): p is MessageStatusPatch => p.kind === 'message_status'),
      ),
    ]);
    return fresh;
  });
}

const rank = (status: string) =>
  MESSAGE_STATUS_ORDER.indexOf(status as (typeof MESSAGE_STATUS_ORDER)[number]);

async function updateStatuses(tx: Tx, patches: MessageStatusPatch[]): Promise<void> {
  // Several changes of one message in a batch: the furthest one wins (what applying them in turn would give).
  const furthest = new Map<string, MessageStatusPatch>();
  for (const patch of patches) {
    const seen = furthest.get(patch.messageId);
    if (!seen || rank(patch.status) > rank(seen.status))
      furthest.set(patch.messageId, {
        ...patch,
        waMessageId: patch.waMessageId ?? seen?.waMessageId ?? null,
      });
  }
  const rows = [...furthest.values()];
  if (rows.length === 0) return;
  const order = MESSAGE_STATUS_ORDER as unknown as string[];
  await queryRows(
    tx,
    sql`
    update messages m set
      status = v.status,
      wa_message_id = coalesce(m.wa_message_id, v.wa_message_id),
      error_code = case when v.status = 'failed' then v.error_code else m.error_code end,
      error_message = case when v.status = 'failed' then v.error_message else m.error_message end,
      updated_at = now()
    from unnest(
      ${array(rows.map((r) => r.messageId))}::text[], ${array(rows.map((r) => r.customerId))}::text[],
      ${array(rows.map((r) => r.instanceId))}::text[], ${array(rows.map((r) => r.status))}::text[],
      ${array(rows.map((r) => r.waMessageId))}::text[], ${array(rows.map((r) => r.error?.code ?? null))}::text[],
      ${array(rows.map((r) => r.error?.message ?? null))}::text[]
    ) as v(id, customer_id, instance_id, status, wa_message_id, error_code, error_message)
    where m.id = v.id and m.customer_id = v.customer_id and m.instance_id = v.instance_id
      and coalesce(array_position(${array(order)}::text[], m.status), 0) < array_position(${array(order)}::text[], v.status)`,
    'wiu_update_statuses',
  );
}

async function insertInbound(tx: Tx, rows: InboundMessage[]): Promise<void> {
  if (rows.length === 0) return;
  await queryRows(
    tx,
    sql`
    insert into messages (id, customer_id, instance_id, direction, "to", type, payload, status, wa_message_id,
      created_at, updated_at)
    select v.id, i.customer_id, i.id, 'in', coalesce(i.phone, ''), v.type, v.payload::jsonb, 'delivered',
      v.wa_message_id, v.created_at::timestamptz, now()
    from unnest(
      ${array(rows.map((r) => r.messageId))}::text[], ${array(rows.map((r) => r.customerId))}::text[],
      ${array(rows.map((r) => r.instanceId))}::text[], ${array(rows.map((r) => r.type))}::text[],
      ${array(rows.map((r) => JSON.stringify(r.payload)))}::text[], ${array(rows.map((r) => r.waMessageId))}::text[],
      ${array(rows.map((r) => r.createdAt.toISOString()))}::text[]
    ) as v(id, customer_id, instance_id, type, payload, wa_message_id, created_at)
    join instances i on i.id = v.instance_id and i.customer_id = v.customer_id
    on conflict (id) do nothing`,
    'wiu_insert_inbound',
  );
}

function applyInstancePatch(tx: Tx, p: InstancePatch) {
  return queryRows(
    tx,
    sql`
    update instances set
      status = coalesce(${p.status ?? null}::text, status),
      phone = coalesce(${p.phone ?? null}::text, phone),
      push_name = case when ${p.pushName !== undefined}::boolean then ${p.pushName ?? null}::text else push_name end,
      worker_id = coalesce(${p.workerId ?? null}::text, worker_id),
      connected_at = coalesce(${p.connectedAt?.toISOString() ?? null}::timestamptz, connected_at),
      last_error_code = case when ${p.lastError !== undefined}::boolean then ${p.lastError?.code ?? null}::text else last_error_code end,
      last_error = case when ${p.lastError !== undefined}::boolean then ${p.lastError?.message ?? null}::text else last_error end,
      last_event_id = ${p.eventId}::text,
      updated_at = now()
    where id = ${p.instanceId}::text and customer_id = ${p.customerId}::text
      and (last_event_id is null or last_event_id < ${p.eventId}::text)`,
    'wiu_apply_instance_patch',
  );
}
