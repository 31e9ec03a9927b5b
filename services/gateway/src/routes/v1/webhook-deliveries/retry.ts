import { createRoute, z } from '@hono/zod-openapi';
import { notifyDeliveriesDue, recordAudit, requestManualRetry } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError, notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { DELIVERY_ID_EXAMPLE, toDeliveryJson, WebhookDeliverySchema } from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/webhook-deliveries/{id}/retry',
  tags: ['Webhook deliveries'],
  summary: 'Send a delivery again now (one more attempt, also for failed deliveries)',
  description:
    'The attempt is made at once (or when the endpoint is resumed, if it is paused or disabled) and is logged ' +
    'with trigger "manual". A failed delivery gets exactly this one attempt; a pending one keeps the rest of ' +
    'its schedule. While an attempt is in flight the answer is 409: try again in a moment.',
  request: { params: z.object({ id: IdParam('id', DELIVERY_ID_EXAMPLE) }) },
  responses: {
    202: {
      description: 'Queued for an attempt now',
      content: { 'application/json': { schema: WebhookDeliverySchema } },
    },
    ...errorResponses(404, 409),
  },
});

export function registerRetryWebhookDelivery(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookDelivery', c.req.valid('param').id, 'webhook delivery');
    const customerId = c.get('customerId');
    const result = await deps.db.transaction(async (tx) => {
      const retry = await requestManualRetry(tx, customerId, id);
      if (!retry.ok) return retry;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_delivery.retry',
        targetType: 'webhook_delivery',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: { endpoint_id: retry.delivery.endpointId, event_id: retry.delivery.eventId },
      });
      await notifyDeliveriesDue(tx);
      return retry;
    });
    if (!result.ok) {
      if (result.reason === 'not_found') throw notFound('webhook delivery');
      throw new ApiError('conflict', 'an attempt of this delivery is in flight; retry when it has finished', {
        retryAfterSeconds: 5,
      });
    }
    return c.json(toDeliveryJson(result.delivery), 202);
  });
}
