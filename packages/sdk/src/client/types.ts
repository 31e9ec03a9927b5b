// The API's objects as they travel (snake_case, like the JSON and the OpenAPI document).
import type { EventType, InstanceStatus } from '../events.ts';

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  next_cursor: string | null;
}

export interface PageQuery {
  /** 1 to 100, default 20. */
  limit?: number;
  cursor?: string;
}

export interface Instance {
  id: string;
  name: string;
  status: InstanceStatus;
  phone: string | null;
  push_name: string | null;
  last_error: { code: string; message: string } | null;
  created_at: string;
  updated_at: string;
  connected_at: string | null;
}

export interface CreateInstanceInput {
  /** Unique per customer. */
  name: string;
}

export interface InstanceQr {
  /** The QR payload; render it as a QR code (or use `qrPng`). */
  qr: string;
  /** WhatsApp rotates it about every 30 s: fetch again then. */
  expires_at: string;
}

export interface PairingCode {
  code: string;
}

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Message {
  id: string;
  instance_id: string;
  direction: 'out' | 'in';
  to: string;
  from: string | null;
  type: string;
  content: Record<string, unknown>;
  status: MessageStatus;
  wa_message_id: string | null;
  error: { code: string; message: string } | null;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
}

interface Quotable {
  /** Our id (msg_…) of a message this one replies to. */
  reply_to?: string;
}

/** What to send; `to` is an MSISDN with country code, no + or spaces. */
export type SendMessageInput = { to: string } & (
  | ({ type: 'text'; text: string } & Quotable)
  | ({ type: 'image' | 'video'; url: string; caption?: string; mimetype?: string } & Quotable)
  | ({ type: 'audio'; url: string; mimetype?: string } & Quotable)
  | ({ type: 'document'; url: string; caption?: string; filename?: string; mimetype?: string } & Quotable)
  | ({ type: 'location'; latitude: number; longitude: number; name?: string; address?: string } & Quotable)
  /** emoji "" removes the reaction. */
  | { type: 'reaction'; emoji: string; message_id: string }
);

export interface ListMessagesQuery extends PageQuery {
  status?: MessageStatus;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  /** Event types delivered; empty means every type. */
  events: EventType[];
  status: 'active' | 'paused' | 'disabled';
  paused_at: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
  /** While set, deliveries carry a signature with the new and with the previous secret. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** The `whsec_…` signing secret, shown only in this response: store it now. */
  secret: string;
}

export interface CreateWebhookEndpointInput {
  url: string;
  events?: EventType[];
  description?: string;
}

export interface UpdateWebhookEndpointInput {
  url?: string;
  events?: EventType[];
  /** null or "" clears it. */
  description?: string | null;
}

export interface RotateSecretInput {
  /** How long the previous secret keeps signing too (0 to 604800; default 86400). */
  overlap_seconds?: number;
}

export interface AuditEvent {
  id: string;
  action: string;
  actor: { type: 'api_key' | 'admin' | 'system'; id: string | null };
  target: { type: string; id: string };
  correlation_id: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface ListAuditEventsQuery extends PageQuery {
  action?: string;
  target_id?: string;
  /** Inclusive lower bound, RFC 3339. */
  since?: string;
  /** Inclusive upper bound, RFC 3339. */
  until?: string;
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  endpoint_id: string;
  /** Also the webhook-id header, the same on every attempt. */
  event_id: string;
  event_type: string;
  /** pending: due, in flight, scheduled or held by a pause. failed: 6 attempts failed; only `retry` sends it again. */
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  /** null when no response came (timeout, refused, …). */
  last_response_status: number | null;
  delivered_at: string | null;
  created_at: string;
}

export interface WebhookDeliveryAttempt {
  attempt: number;
  trigger: 'scheduled' | 'manual' | 'test';
  started_at: string;
  duration_ms: number;
  response_status: number | null;
  /** null on success; http_status, timeout, connection_refused, connection_error, dns, tls, ssrf_blocked, internal. */
  error_class: string | null;
  error_message: string | null;
  /** The first 1 KB of the response body. */
  response_body: string | null;
}

export interface WebhookDeliveryDetail extends WebhookDelivery {
  /** The event envelope that is sent. */
  payload: Record<string, unknown>;
  /** Every attempt, oldest first. */
  attempt_log: WebhookDeliveryAttempt[];
}

export interface ListWebhookDeliveriesQuery extends PageQuery {
  status?: WebhookDeliveryStatus;
  endpoint_id?: string;
  event_type?: EventType | 'webhook.test';
  /** Only deliveries created at or after this time, RFC 3339. */
  since?: string;
}
