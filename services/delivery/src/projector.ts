// The projector: turns instance and message events into the Postgres state the API reads. Events whose data
// does not match the contract are skipped (logged), never half-applied.
import { type EventEnvelope, eventDataSchemas } from '@whatisup/contracts';
import type { Projection } from '@whatisup/db';

type Scope = { eventId: string; customerId: string; instanceId: string };

export function toProjection(event: EventEnvelope): Projection | null | 'invalid' {
  const scope: Scope = { eventId: event.id, customerId: event.customer_id, instanceId: event.instance_id };
  if (!(event.type in eventDataSchemas)) return null;
  const schema = eventDataSchemas[event.type as keyof typeof eventDataSchemas];
  const parsed = schema.safeParse(event.data);
  if (!parsed.success) return 'invalid';
  const data = parsed.data as Record<string, unknown>;
  const createdAt = new Date(event.created_at);
  switch (event.type) {
    case 'instance.connecting':
      return { kind: 'instance', ...scope, status: str(data.status), workerId: str(data.worker_id) };
    case 'qr.updated':
      return { kind: 'instance', ...scope, status: str(data.status) };
    case 'instance.connected':
      return {
        kind: 'instance',
        ...scope,
        status: str(data.status),
        phone: str(data.phone),
        pushName: (data.push_name as string | null) ?? null,
        workerId: str(data.worker_id),
        connectedAt: createdAt,
        lastError: null,
      };
    case 'instance.disconnected':
    case 'session.invalidated':
      return {
        kind: 'instance',
        ...scope,
        status: str(data.status),
        lastError: { code: String(data.reason), message: String(data.message) },
      };
    case 'message.sent':
    case 'message.delivered':
    case 'message.read':
    case 'message.failed':
      return {
        kind: 'message_status',
        ...scope,
        messageId: String(data.message_id),
        status: event.type.slice('message.'.length) as 'sent' | 'delivered' | 'read' | 'failed',
        waMessageId: (data.wa_message_id as string | null) ?? null,
        error: (data.error as { code: string; message: string } | undefined) ?? null,
      };
    case 'message.received': {
      const { message_id, wa_message_id, type, ...rest } = data;
      return {
        kind: 'message_in',
        ...scope,
        messageId: String(message_id),
        waMessageId: String(wa_message_id),
        type: String(type),
        payload: { type, ...rest },
        createdAt,
      };
    }
    default:
      return null;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
