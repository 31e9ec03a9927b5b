// The webhook body: one event envelope, discriminated by `type`. Mirrors @whatisup/contracts (a type test
// keeps the two equal) so customers get the types without installing our internal packages.

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

export type InstanceStatus =
  | 'created'
  | 'connecting'
  | 'qr_required'
  | 'connected'
  | 'disconnected'
  | 'qr_timeout'
  | 'auth_state_unreadable';

export type SendErrorCode =
  | 'rate_limited'
  | 'recipient_not_on_whatsapp'
  | 'not_connected'
  | 'timeout'
  | 'media_fetch_failed'
  | 'unknown';

/** The `data` of each event type. Types not listed carry an open object. */
export interface EventDataByType {
  'instance.connecting': { status: InstanceStatus; worker_id: string };
  'qr.updated': { status: InstanceStatus; qr: string; expires_at: string };
  'instance.connected': {
    status: InstanceStatus;
    phone: string;
    push_name: string | null;
    worker_id: string;
  };
  /** reason: a stable code (connection_lost, qr_timeout, session_invalidated, logged_out, released, …) */
  'instance.disconnected': {
    status: InstanceStatus;
    reason: string;
    message: string;
    will_reconnect: boolean;
  };
  /** reason: device_removed | connection_replaced | logged_out */
  'session.invalidated': { status: InstanceStatus; reason: string; message: string };
  'message.sent': { message_id: string; wa_message_id: string; to: string };
  'message.delivered': { message_id: string; wa_message_id: string };
  'message.read': { message_id: string; wa_message_id: string };
  'message.failed': {
    message_id: string;
    wa_message_id: string | null;
    error: { code: SendErrorCode; message: string };
  };
  'message.received': {
    message_id: string;
    wa_message_id: string;
    from: string;
    push_name: string | null;
    type: string;
    text: string | null;
    media: {
      mimetype: string;
      file_length: number | null;
      caption: string | null;
      file_name: string | null;
    } | null;
    quoted_id: string | null;
    timestamp: string;
  };
}

export type EventData<T extends EventType> = T extends keyof EventDataByType
  ? EventDataByType[T]
  : Record<string, unknown>;

export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  created_at: string;
  customer_id: string;
  instance_id: string;
  data: EventData<T>;
}

/** Sent only by the "send test event" action, to one endpoint, whatever its events filter. */
export interface WebhookTestEvent {
  id: string;
  type: 'webhook.test';
  created_at: string;
  customer_id: string;
  instance_id: null;
  data: { endpoint_id: string; message: string };
}

/** What `verifyWebhook` returns: switch on `type` and `data` narrows with it. */
export type WebhookEvent = { [T in EventType]: EventEnvelope<T> }[EventType] | WebhookTestEvent;
