export * from './commands.ts';
export {
  type EventData,
  eventDataSchemas,
  makeWebhookTestEvent,
  WEBHOOK_TEST_EVENT_TYPE,
  type WebhookTestEvent,
  webhookTestEventSchema,
} from './event-data.ts';
export { makeEvent } from './event-factory.ts';
export {
  EVENT_TYPES,
  type EventEnvelope,
  type EventType,
  eventEnvelopeSchema,
  eventTypeSchema,
} from './events.ts';
export { ID_PREFIXES, type IdKind, isId, newId, seededId } from './ids.ts';
export {
  INSTANCE_STATUSES,
  type InstanceStatus,
  MESSAGE_STATUSES,
  type MessageStatus,
  SEND_ERROR_CODES,
  type SendErrorCode,
} from './instance-status.ts';
export { type Subjects, subjects } from './subjects.ts';
export { messageIdFromWa, waMessageIdFor } from './wa-message-id.ts';
