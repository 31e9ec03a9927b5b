export { WhatIsUpApiError } from './client/api-error.ts';
export { createClient, type SendMessageOptions, type WhatIsUpClient } from './client/create-client.ts';
export type { EventStreamOptions, StreamedEvent } from './client/events-stream.ts';
export type { ClientOptions, RequestOptions } from './client/http.ts';
export type * from './client/types.ts';
export {
  EVENT_TYPES,
  type EventData,
  type EventDataByType,
  type EventEnvelope,
  type EventType,
  type InstanceStatus,
  type SendErrorCode,
  type WebhookEvent,
  type WebhookTestEvent,
} from './events.ts';
export {
  DEFAULT_TOLERANCE_SECONDS,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaders,
} from './verify-webhook.ts';
export {
  type SignWebhookInput,
  signWebhook,
  WEBHOOK_HEADERS,
  type WebhookSignatureHeaders,
} from './webhook-signature.ts';
export { WebhookVerificationError, type WebhookVerificationReason } from './webhook-verification-error.ts';
