// Folds a live event into the instance it belongs to (the same facts the projector writes to Postgres).
import type { EventEnvelope, Instance, InstanceStatus } from '@whatisup/sdk';

export function applyInstanceEvent(instance: Instance, event: EventEnvelope): Instance {
  if (event.instance_id !== instance.id) return instance;
  const data = event.data as Record<string, unknown>;
  const status = typeof data.status === 'string' ? (data.status as InstanceStatus) : undefined;
  if (!status) return instance;
  const next: Instance = { ...instance, status, updated_at: event.created_at };
  if (event.type === 'instance.connected') {
    next.phone = String(data.phone ?? instance.phone ?? '') || null;
    next.push_name = (data.push_name as string | null) ?? null;
    next.connected_at = event.created_at;
    next.last_error = null;
  }
  if (event.type === 'instance.disconnected' || event.type === 'session.invalidated') {
    next.last_error = { code: String(data.reason ?? 'unknown'), message: String(data.message ?? '') };
  }
  return next;
}

/** Applies the events that are newer than what a (possibly lagging) read returned. */
export function withNewerEvents(instance: Instance, events: readonly EventEnvelope[]): Instance {
  const readAt = Date.parse(instance.updated_at);
  return events.reduce(
    (current, event) =>
      Date.parse(event.created_at) >= readAt ? applyInstanceEvent(current, event) : current,
    instance,
  );
}
