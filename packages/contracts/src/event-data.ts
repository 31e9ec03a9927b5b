// The `data` of each event type: what the worker emits and what the projector and webhook receivers read.
// Every instance-level event carries the instance's `status` after the transition, so consumers never have
// to derive state from the event type.
import { z } from 'zod';
import { newId } from './ids.ts';
import { INSTANCE_STATUSES, SEND_ERROR_CODES } from './instance-status.ts';

const status = z.enum(INSTANCE_STATUSES);

export const eventDataSchemas = {
  'instance.connecting': z.object({ status, worker_id: z.string() }),
  'qr.updated': z.object({ status, qr: z.string(), expires_at: z.string() }),
  'instance.connected': z.object({
    status,
    phone: z.string(),
    push_name: z.string().nullable(),
    worker_id: z.string(),
  }),
  /** reason: a stable code (connection_lost, qr_timeout, session_invalidated, logged_out, released, auth_state_unreadable, …) */
  'instance.disconnected': z.object({
    status,
    reason: z.string(),
    message: z.string(),
    will_reconnect: z.boolean(),
  }),
  /** reason: device_removed | connection_replaced | logged_out (WhatsApp's words, explained in message) */
  'session.invalidated': z.object({ status, reason: z.string(), message: z.string() }),
  'message.sent': z.object({ message_id: z.string(), wa_message_id: z.string(), to: z.string() }),
  'message.delivered': z.object({ message_id: z.string(), wa_message_id: z.string() }),
  'message.read': z.object({ message_id: z.string(), wa_message_id: z.string() }),
  'message.failed': z.object({
    message_id: z.string(),
    wa_message_id: z.string().nullable(),
    error: z.object({ code: z.enum(SEND_ERROR_CODES), message: z.string() }),
  }),
  'message.received': z.object({
    message_id: z.string(),
    wa_message_id: z.string(),
    from: z.string(),
    push_name: z.string().nullable(),
    type: z.string(),
    text: z.string().nullable(),
    media: z
      .object({
        mimetype: z.string(),
        file_length: z.number().nullable(),
        caption: z.string().nullable(),
        file_name: z.string().nullable(),
      })
      .nullable(),
    quoted_id: z.string().nullable(),
    timestamp: z.string(),
  }),
} as const;

export type EventData<T extends keyof typeof eventDataSchemas> = z.infer<(typeof eventDataSchemas)[T]>;

/**
 * `webhook.test`: sent only by `POST /v1/webhook-endpoints/:id/test`, to that one endpoint, whatever its
 * events filter (filters never need to list it). It is not a bus event: it never enters the stream, so it
 * is not in EVENT_TYPES, and it belongs to no instance (`instance_id` is null).
 */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

export const webhookTestEventSchema = z.object({
  id: z.string(),
  type: z.literal(WEBHOOK_TEST_EVENT_TYPE),
  created_at: z.string(),
  customer_id: z.string(),
  instance_id: z.null(),
  data: z.object({ endpoint_id: z.string(), message: z.string() }),
});
export type WebhookTestEvent = z.infer<typeof webhookTestEventSchema>;

export function makeWebhookTestEvent(
  customerId: string,
  endpointId: string,
  now: Date = new Date(),
): WebhookTestEvent {
  return {
    id: newId('event', now.getTime()),
    type: WEBHOOK_TEST_EVENT_TYPE,
    created_at: now.toISOString(),
    customer_id: customerId,
    instance_id: null,
    data: { endpoint_id: endpointId, message: 'This is a test event sent from WhatIsUp.' },
  };
}
