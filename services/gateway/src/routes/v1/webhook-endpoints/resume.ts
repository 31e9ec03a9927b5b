import { createRoute, z } from '@hono/zod-openapi';
import { findWebhookEndpoint, recordAudit, resumeWebhookEndpoint } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { ENDPOINT_ID_EXAMPLE, toWebhookEndpointJson, WebhookEndpointSchema } from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/webhook-endpoints/{id}/resume',
  tags: ['Webhook endpoints'],
  summary: 'Resume deliveries to a paused or disabled endpoint (idempotent)',
  description:
    'Clears a pause, and also a disable by the service (for example after the receiver answered 410 Gone), ' +
    'so held deliveries go out again. Resuming an active endpoint changes nothing.',
  request: { params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }) },
  responses: {
    200: {
      description: 'The active webhook endpoint',
      content: { 'application/json': { schema: WebhookEndpointSchema } },
    },
    ...errorResponses(404),
  },
});

export function registerResumeWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    const customerId = c.get('customerId');
    const endpoint = await deps.db.transaction(async (tx) => {
      const before = await findWebhookEndpoint(tx, customerId, id);
      if (!before) return undefined;
      const resumed = await resumeWebhookEndpoint(tx, customerId, id);
      if (!resumed) return before;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.resume',
        targetType: 'webhook_endpoint',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: {
          was_paused: before.pausedAt !== null,
          was_disabled: before.disabledAt !== null,
          ...(before.disabledReason !== null && { disabled_reason: before.disabledReason }),
        },
      });
      return resumed;
    });
    if (!endpoint) throw notFound('webhook endpoint');
    return c.json(toWebhookEndpointJson(endpoint), 200);
  });
}
