import { createRoute, z } from '@hono/zod-openapi';
import { recordAudit, updateWebhookEndpoint } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import {
  acceptWebhookUrl,
  ENDPOINT_ID_EXAMPLE,
  emptyToNull,
  toWebhookEndpointJson,
  UpdateWebhookEndpointBody,
  uniqueEvents,
  urlOrigin,
  WebhookEndpointSchema,
} from './schema.ts';

const route = createRoute({
  method: 'patch',
  path: '/webhook-endpoints/{id}',
  tags: ['Webhook endpoints'],
  summary: 'Change the URL, event filter or description of a webhook endpoint',
  request: {
    params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }),
    body: { required: true, content: { 'application/json': { schema: UpdateWebhookEndpointBody } } },
  },
  responses: {
    200: {
      description: 'The updated webhook endpoint',
      content: { 'application/json': { schema: WebhookEndpointSchema } },
    },
    ...errorResponses(400, 404, 413, 415),
  },
});

export function registerUpdateWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    const body = c.req.valid('json');
    const patch: { url?: string; events?: string[]; description?: string | null } = {};
    if (body.url !== undefined) patch.url = acceptWebhookUrl(body.url, deps);
    if (body.events !== undefined) patch.events = uniqueEvents(body.events);
    if (body.description !== undefined) patch.description = emptyToNull(body.description);
    const customerId = c.get('customerId');
    const endpoint = await deps.db.transaction(async (tx) => {
      const row = await updateWebhookEndpoint(tx, customerId, id, patch);
      if (!row) return null;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.update',
        targetType: 'webhook_endpoint',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: {
          changed: Object.keys(patch),
          ...(patch.url !== undefined && { url_origin: urlOrigin(patch.url) }),
          ...(patch.events !== undefined && { events: patch.events }),
        },
      });
      return row;
    });
    if (!endpoint) throw notFound('webhook endpoint');
    return c.json(toWebhookEndpointJson(endpoint), 200);
  });
}
