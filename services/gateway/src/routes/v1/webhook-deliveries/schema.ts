// Webhook delivery JSON: the delivery log as customers read it.
import { z } from '@hono/zod-openapi';
import { EVENT_TYPES, WEBHOOK_TEST_EVENT_TYPE } from '@whatisup/contracts';
import type { WebhookDelivery, WebhookDeliveryAttempt } from '@whatisup/db';
import { iso, Timestamp } from '../common.ts';

export const DELIVERY_ID_EXAMPLE = 'del_01jq0a3k5v7x9z2b4d6f8h0j2k';
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export const DELIVERY_EVENT_TYPES = [...EVENT_TYPES, WEBHOOK_TEST_EVENT_TYPE] as const;

export const WebhookDeliverySchema = z
  .object({
    id: z.string().openapi({ example: DELIVERY_ID_EXAMPLE }),
    endpoint_id: z.string(),
    event_id: z.string().openapi({ description: 'Also the webhook-id header, the same on every attempt' }),
    event_type: z.string().openapi({ example: 'message.received' }),
    status: z.enum(DELIVERY_STATUSES).openapi({
      description:
        'pending: an attempt is due, in flight or scheduled (or held while the endpoint is paused). ' +
        'delivered: the endpoint answered 2xx. failed: 6 attempts failed; only a manual retry sends it again',
    }),
    attempts: z.number().int().openapi({ description: 'Attempts made so far, manual ones included' }),
    next_attempt_at: Timestamp.nullable(),
    last_attempt_at: Timestamp.nullable(),
    last_error: z.string().nullable().openapi({ description: 'What went wrong on the last attempt' }),
    last_response_status: z.number().int().nullable().openapi({
      description: 'HTTP status of the last attempt; null when no response came (timeout, refused, …)',
    }),
    delivered_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi('WebhookDelivery');

export const DeliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    trigger: z.enum(['scheduled', 'manual', 'test']),
    started_at: Timestamp,
    duration_ms: z.number().int(),
    response_status: z.number().int().nullable(),
    error_class: z.string().nullable().openapi({
      description:
        'null on success; http_status, timeout, connection_refused, connection_error, dns, tls, ssrf_blocked, internal',
    }),
    error_message: z.string().nullable(),
    response_body: z.string().nullable().openapi({ description: 'The first 1 KB of the response body' }),
  })
  .openapi('WebhookDeliveryAttempt');

export const WebhookDeliveryDetailSchema = WebhookDeliverySchema.extend({
  payload: z.record(z.string(), z.unknown()).openapi({ description: 'The event envelope that is sent' }),
  attempt_log: z.array(DeliveryAttemptSchema).openapi({ description: 'Every attempt, oldest first' }),
}).openapi('WebhookDeliveryDetail');

export function toDeliveryJson(row: WebhookDelivery): z.infer<typeof WebhookDeliverySchema> {
  return {
    id: row.id,
    endpoint_id: row.endpointId,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status as (typeof DELIVERY_STATUSES)[number],
    attempts: row.attempts,
    next_attempt_at: iso(row.nextAttemptAt),
    last_attempt_at: iso(row.lastAttemptAt),
    last_error: row.lastError,
    last_response_status: row.lastResponseStatus,
    delivered_at: iso(row.deliveredAt),
    created_at: row.createdAt.toISOString(),
  };
}

export function toAttemptJson(row: WebhookDeliveryAttempt): z.infer<typeof DeliveryAttemptSchema> {
  return {
    attempt: row.attempt,
    trigger: row.trigger as 'scheduled' | 'manual' | 'test',
    started_at: row.startedAt.toISOString(),
    duration_ms: row.durationMs,
    response_status: row.responseStatus,
    error_class: row.errorClass,
    error_message: row.errorMessage,
    response_body: row.responseBody,
  };
}
