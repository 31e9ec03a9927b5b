import { createRoute, z } from '@hono/zod-openapi';
import { makeWebhookTestEvent } from '@whatisup/contracts';
import { findWebhookEndpoint, insertTestDelivery, notifyDeliveriesDue, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError, notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { toDeliveryJson, WebhookDeliverySchema } from '../webhook-deliveries/schema.ts';
import { ENDPOINT_ID_EXAMPLE } from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/webhook-endpoints/{id}/test',
  tags: ['Webhook endpoints'],
  summary: 'Send a webhook.test event to this endpoint',
  description:
    'Creates a delivery of a `webhook.test` event for this endpoint only, whatever its events filter, and ' +
    'sends it at once through the same path as every other webhook (signed, retried, logged). Follow it with ' +
    'GET /v1/webhook-deliveries/{id}. A paused or disabled endpoint answers 409: resume it first.',
  request: { params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }) },
  responses: {
    202: {
      description: 'The test delivery, due now',
      content: { 'application/json': { schema: WebhookDeliverySchema } },
    },
    ...errorResponses(404, 409),
  },
});

export function registerTestWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    const customerId = c.get('customerId');
    const delivery = await deps.db.transaction(async (tx) => {
      const endpoint = await findWebhookEndpoint(tx, customerId, id);
      if (!endpoint) throw notFound('webhook endpoint');
      if (endpoint.disabledAt)
        throw new ApiError(
          'conflict',
          `the endpoint is disabled (${endpoint.disabledReason ?? 'no reason'}); resume it first`,
        );
      if (endpoint.pausedAt) throw new ApiError('conflict', 'the endpoint is paused; resume it first');
      const row = await insertTestDelivery(tx, {
        customerId,
        endpointId: id,
        event: makeWebhookTestEvent(customerId, id),
      });
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.test',
        targetType: 'webhook_endpoint',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: { delivery_id: row.id, event_id: row.eventId },
      });
      await notifyDeliveriesDue(tx);
      return row;
    });
    return c.json(toDeliveryJson(delivery), 202);
  });
}
