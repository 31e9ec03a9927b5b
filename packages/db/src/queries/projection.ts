// The projector's writes: instance and message state from events, applied once per event id.
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client.ts';

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
  sql: Sql,
  eventIds: string[],
  projections: Projection[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  return sql.begin(async (tx) => {
    const fresh = new Set(
      (
        await tx<{ event_id: string }[]>`
          insert into processed_events (event_id) select unnest(${eventIds}::text[])
          on conflict do nothing returning event_id`
      ).map((r) => r.event_id),
    );
    // Issued together so postgres.js pipelines them: one round trip for the whole batch.
    await Promise.all(projections.filter((p) => fresh.has(p.eventId)).map((p) => applyOne(tx, p)));
    return fresh;
  });
}

function applyOne(tx: TransactionSql, p: Projection) {
  switch (p.kind) {
    case 'instance':
      return tx`
        update instances set
          status = coalesce(${p.status ?? null}::text, status),
          phone = coalesce(${p.phone ?? null}::text, phone),
          push_name = case when ${p.pushName !== undefined} then ${p.pushName ?? null}::text else push_name end,
          worker_id = coalesce(${p.workerId ?? null}::text, worker_id),
          connected_at = coalesce(${p.connectedAt?.toISOString() ?? null}::timestamptz, connected_at),
          last_error_code = case when ${p.lastError !== undefined} then ${p.lastError?.code ?? null}::text else last_error_code end,
          last_error = case when ${p.lastError !== undefined} then ${p.lastError?.message ?? null}::text else last_error end,
          last_event_id = ${p.eventId},
          updated_at = now()
        where id = ${p.instanceId} and customer_id = ${p.customerId}
          and (last_event_id is null or last_event_id < ${p.eventId})`;
    case 'message_status':
      return tx`
        update messages set
          status = ${p.status},
          wa_message_id = coalesce(wa_message_id, ${p.waMessageId}::text),
          error_code = case when ${p.status} = 'failed' then ${p.error?.code ?? null}::text else error_code end,
          error_message = case when ${p.status} = 'failed' then ${p.error?.message ?? null}::text else error_message end,
          updated_at = now()
        where id = ${p.messageId} and customer_id = ${p.customerId} and instance_id = ${p.instanceId}
          and coalesce(array_position(${MESSAGE_STATUS_ORDER as unknown as string[]}::text[], status), 0)
            < array_position(${MESSAGE_STATUS_ORDER as unknown as string[]}::text[], ${p.status}::text)`;
    case 'message_in':
      return tx`
        insert into messages (id, customer_id, instance_id, direction, "to", type, payload, status, wa_message_id, created_at, updated_at)
        select ${p.messageId}, i.customer_id, i.id, 'in', coalesce(i.phone, ''), ${p.type}, ${JSON.stringify(p.payload)}::jsonb,
          'delivered', ${p.waMessageId}, ${p.createdAt.toISOString()}::timestamptz, now()
        from instances i where i.id = ${p.instanceId} and i.customer_id = ${p.customerId}
        on conflict (id) do nothing`;
  }
}
