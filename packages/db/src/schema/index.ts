export { apiKeys } from './api-keys.ts';
export { auditEvents } from './audit-events.ts';
export { customers } from './customers.ts';
export { instances } from './instances.ts';
export { messages } from './messages.ts';
export { webhookDeliveries } from './webhook-deliveries.ts';
export { webhookEndpoints } from './webhook-endpoints.ts';
