import type { EventEnvelope, EventType } from './events.ts';
import { newId } from './ids.ts';

/** Builds an event envelope; the id is fixed here and doubles as the JetStream message id (deduplication). */
export function makeEvent(
  type: EventType,
  scope: { customerId: string; instanceId: string },
  data: Record<string, unknown>,
  now: Date = new Date(),
): EventEnvelope {
  return {
    id: newId('event', now.getTime()),
    type,
    created_at: now.toISOString(),
    customer_id: scope.customerId,
    instance_id: scope.instanceId,
    data,
  };
}
