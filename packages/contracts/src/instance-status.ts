// Instance lifecycle states, shared by the worker (which moves them) and the gateway (which reports them).
export const INSTANCE_STATUSES = [
  'created',
  'connecting',
  'qr_required',
  'connected',
  'disconnected',
  'qr_timeout',
  'session_invalidated',
  'error',
] as const;

export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
