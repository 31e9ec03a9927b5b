// The event envelope (also the webhook body) and the known event types.
import { z } from 'zod';

export const EVENT_TYPES = [
  'qr.updated',
  'instance.created',
  'instance.connecting',
  'instance.connected',
  'instance.disconnected',
  'instance.deleted',
  'session.invalidated',
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const eventTypeSchema = z.enum(EVENT_TYPES);

export const eventEnvelopeSchema = z.object({
  id: z.string(),
  type: eventTypeSchema,
  created_at: z.string(),
  customer_id: z.string(),
  instance_id: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;
