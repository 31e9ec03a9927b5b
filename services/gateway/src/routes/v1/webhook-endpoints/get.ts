import { createRoute, z } from '@hono/zod-openapi';
import { findWebhookEndpoint } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { ENDPOINT_ID_EXAMPLE, toWebhookEndpointJson, WebhookEndpointSchema } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/webhook-endpoints/{id}',
  tags: ['Webhook endpoints'],
  summary: 'Get a webhook endpoint (never its secret)',
  request: { params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }) },
  responses: {
    200: {
      description: 'The webhook endpoint',
      content: { 'application/json': { schema: WebhookEndpointSchema } },
    },
    ...errorResponses(404),
  },
});

export function registerGetWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    const row = await findWebhookEndpoint(deps.db, c.get('customerId'), id);
    if (!row) throw notFound('webhook endpoint');
    return c.json(toWebhookEndpointJson(row), 200);
  });
}
