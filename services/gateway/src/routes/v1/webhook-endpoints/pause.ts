import { createRoute, z } from '@hono/zod-openapi';
import { findWebhookEndpoint, pauseWebhookEndpoint, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { ENDPOINT_ID_EXAMPLE, toWebhookEndpointJson, WebhookEndpointSchema } from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/webhook-endpoints/{id}/pause',
  tags: ['Webhook endpoints'],
  summary: 'Pause deliveries to an endpoint (idempotent)',
  description:
    'Deliveries to a paused endpoint are held without spending their attempts, and go out after resume. ' +
    'Pausing a paused endpoint changes nothing.',
  request: { params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }) },
  responses: {
    200: {
      description: 'The paused webhook endpoint',
      content: { 'application/json': { schema: WebhookEndpointSchema } },
    },
    ...errorResponses(404),
  },
});

export function registerPauseWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    const customerId = c.get('customerId');
    const endpoint = await deps.db.transaction(async (tx) => {
      const paused = await pauseWebhookEndpoint(tx, customerId, id);
      if (!paused) return findWebhookEndpoint(tx, customerId, id);
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.pause',
        targetType: 'webhook_endpoint',
        targetId: id,
        correlationId: c.get('correlationId'),
      });
      return paused;
    });
    if (!endpoint) throw notFound('webhook endpoint');
    return c.json(toWebhookEndpointJson(endpoint), 200);
  });
}
