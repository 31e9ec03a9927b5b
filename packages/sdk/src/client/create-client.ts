// The typed API client: one method per documented operation, grouped by resource.
import { type EventStreamOptions, streamEvents } from './events-stream.ts';
import { type ClientOptions, createHttp, type RequestOptions } from './http.ts';
import type {
  AuditEvent,
  CreateInstanceInput,
  CreateWebhookEndpointInput,
  Instance,
  InstanceQr,
  ListAuditEventsQuery,
  ListMessagesQuery,
  ListWebhookDeliveriesQuery,
  Message,
  Page,
  PageQuery,
  PairingCode,
  RotateSecretInput,
  SendMessageInput,
  UpdateWebhookEndpointInput,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from './types.ts';

export interface SendMessageOptions extends RequestOptions {
  /** Repeating a send with the same key returns the same message instead of sending it twice. */
  idempotencyKey?: string;
}

export type WhatIsUpClient = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions) {
  const http = createHttp(options);
  const byId = (id: string) => ({ id });

  return {
    instances: {
      create: (input: CreateInstanceInput, opts?: RequestOptions) =>
        http.json<Instance>({ method: 'POST', path: '/v1/instances', body: input, options: opts }),
      list: (query: PageQuery = {}, opts?: RequestOptions) =>
        http.json<Page<Instance>>({
          method: 'GET',
          path: '/v1/instances',
          query: { ...query },
          options: opts,
        }),
      get: (id: string, opts?: RequestOptions) =>
        http.json<Instance>({ method: 'GET', path: '/v1/instances/{id}', params: byId(id), options: opts }),
      /** Unlinks it on WhatsApp, wipes its session, deletes it and its messages. */
      delete: (id: string, opts?: RequestOptions) =>
        http.empty({ method: 'DELETE', path: '/v1/instances/{id}', params: byId(id), options: opts }),
      /** The current QR code; 409 qr_unavailable (with instanceStatus) when there is none. */
      qr: (id: string, opts?: RequestOptions) =>
        http.json<InstanceQr>({
          method: 'GET',
          path: '/v1/instances/{id}/qr',
          params: byId(id),
          options: opts,
        }),
      /** The current QR code as a PNG image. */
      qrPng: (id: string, opts?: RequestOptions) =>
        http.bytes({ method: 'GET', path: '/v1/instances/{id}/qr', params: byId(id), options: opts }),
      /** Link by phone number: the code to type on the phone. */
      pairingCode: (id: string, input: { phone: string }, opts?: RequestOptions) =>
        http.json<PairingCode>({
          method: 'POST',
          path: '/v1/instances/{id}/pairing-code',
          params: byId(id),
          body: input,
          options: opts,
        }),
      /** Unlinks it on WhatsApp and wipes its session; the instance stays. */
      logout: (id: string, opts?: RequestOptions) =>
        http.json<Instance>({
          method: 'POST',
          path: '/v1/instances/{id}/logout',
          params: byId(id),
          options: opts,
        }),
      restart: (id: string, opts?: RequestOptions) =>
        http.json<Instance>({
          method: 'POST',
          path: '/v1/instances/{id}/restart',
          params: byId(id),
          options: opts,
        }),
    },

    messages: {
      send: (instanceId: string, input: SendMessageInput, opts?: SendMessageOptions) =>
        http.json<Message>({
          method: 'POST',
          path: '/v1/instances/{id}/messages',
          params: byId(instanceId),
          body: input,
          headers: opts?.idempotencyKey ? { 'Idempotency-Key': opts.idempotencyKey } : {},
          options: opts,
        }),
      /** Newest first. */
      list: (instanceId: string, query: ListMessagesQuery = {}, opts?: RequestOptions) =>
        http.json<Page<Message>>({
          method: 'GET',
          path: '/v1/instances/{id}/messages',
          params: byId(instanceId),
          query: { ...query },
          options: opts,
        }),
      get: (instanceId: string, messageId: string, opts?: RequestOptions) =>
        http.json<Message>({
          method: 'GET',
          path: '/v1/instances/{id}/messages/{messageId}',
          params: { id: instanceId, messageId },
          options: opts,
        }),
    },

    webhookEndpoints: {
      /** The answer carries the signing secret, shown only once. */
      create: (input: CreateWebhookEndpointInput, opts?: RequestOptions) =>
        http.json<WebhookEndpointWithSecret>({
          method: 'POST',
          path: '/v1/webhook-endpoints',
          body: input,
          options: opts,
        }),
      list: (query: PageQuery = {}, opts?: RequestOptions) =>
        http.json<Page<WebhookEndpoint>>({
          method: 'GET',
          path: '/v1/webhook-endpoints',
          query: { ...query },
          options: opts,
        }),
      get: (id: string, opts?: RequestOptions) =>
        http.json<WebhookEndpoint>({
          method: 'GET',
          path: '/v1/webhook-endpoints/{id}',
          params: byId(id),
          options: opts,
        }),
      update: (id: string, input: UpdateWebhookEndpointInput, opts?: RequestOptions) =>
        http.json<WebhookEndpoint>({
          method: 'PATCH',
          path: '/v1/webhook-endpoints/{id}',
          params: byId(id),
          body: input,
          options: opts,
        }),
      delete: (id: string, opts?: RequestOptions) =>
        http.empty({ method: 'DELETE', path: '/v1/webhook-endpoints/{id}', params: byId(id), options: opts }),
      /** Holds deliveries without spending their attempts (idempotent). */
      pause: (id: string, opts?: RequestOptions) =>
        http.json<WebhookEndpoint>({
          method: 'POST',
          path: '/v1/webhook-endpoints/{id}/pause',
          params: byId(id),
          options: opts,
        }),
      /** Clears a pause or a disable by the service (idempotent). */
      resume: (id: string, opts?: RequestOptions) =>
        http.json<WebhookEndpoint>({
          method: 'POST',
          path: '/v1/webhook-endpoints/{id}/resume',
          params: byId(id),
          options: opts,
        }),
      /** A new secret, shown only in this answer; the previous one keeps signing for `overlap_seconds`. */
      rotateSecret: (id: string, input: RotateSecretInput = {}, opts?: RequestOptions) =>
        http.json<WebhookEndpointWithSecret>({
          method: 'POST',
          path: '/v1/webhook-endpoints/{id}/rotate-secret',
          params: byId(id),
          body: input,
          options: opts,
        }),
      /** Sends a webhook.test event to this endpoint only; follow it with webhookDeliveries.get. */
      test: (id: string, opts?: RequestOptions) =>
        http.json<WebhookDelivery>({
          method: 'POST',
          path: '/v1/webhook-endpoints/{id}/test',
          params: byId(id),
          options: opts,
        }),
    },

    webhookDeliveries: {
      /** Newest first; `status: 'failed'` shows what your endpoint answered. */
      list: (query: ListWebhookDeliveriesQuery = {}, opts?: RequestOptions) =>
        http.json<Page<WebhookDelivery>>({
          method: 'GET',
          path: '/v1/webhook-deliveries',
          query: { ...query },
          options: opts,
        }),
      /** With the payload and every attempt. */
      get: (id: string, opts?: RequestOptions) =>
        http.json<WebhookDeliveryDetail>({
          method: 'GET',
          path: '/v1/webhook-deliveries/{id}',
          params: byId(id),
          options: opts,
        }),
      /** One more attempt now, also for a failed delivery (409 while an attempt is in flight). */
      retry: (id: string, opts?: RequestOptions) =>
        http.json<WebhookDelivery>({
          method: 'POST',
          path: '/v1/webhook-deliveries/{id}/retry',
          params: byId(id),
          options: opts,
        }),
    },

    events: {
      /**
       * Your events live (GET /v1/events/stream): `for await (const { id, event } of wiu.events.stream())`.
       * Reconnects after a drop and resumes after the last event seen; end it with `signal`.
       */
      stream: (options?: EventStreamOptions) => streamEvents(http, options),
    },

    auditEvents: {
      /** Newest first. */
      list: (query: ListAuditEventsQuery = {}, opts?: RequestOptions) =>
        http.json<Page<AuditEvent>>({
          method: 'GET',
          path: '/v1/audit-events',
          query: { ...query },
          options: opts,
        }),
    },
  };
}
