// Instance lifecycle states, shared by the worker (which moves them) and the gateway (which reports them).
export const INSTANCE_STATUSES = [
  'created',
  'connecting',
  'qr_required',
  'connected',
  'disconnected',
  'qr_timeout',
  'auth_state_unreadable',
] as const;

export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Error codes a send can fail with (message.failed data.error.code). */
export const SEND_ERROR_CODES = [
  'rate_limited',
  'recipient_not_on_whatsapp',
  'not_connected',
  'timeout',
  'media_fetch_failed',
  'unknown',
] as const;
export type SendErrorCode = (typeof SEND_ERROR_CODES)[number];
