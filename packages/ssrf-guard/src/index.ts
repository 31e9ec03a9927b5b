export { isPublicAddress } from './address.ts';
export type { GuardedConnectorOptions } from './guarded-connector.ts';
export { createGuardedConnector } from './guarded-connector.ts';
export type { GuardedLookupOptions, ResolveOptions, Resolver } from './guarded-lookup.ts';
export { createGuardedLookup } from './guarded-lookup.ts';
export { SsrfBlockedError } from './ssrf-blocked-error.ts';
export type { WebhookUrlCheck, WebhookUrlErrorCode, WebhookUrlOptions } from './webhook-url.ts';
export { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from './webhook-url.ts';
