import { createRoute, z } from '@hono/zod-openapi';
import { listWebhookEndpoints } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { cursorQuery, errorResponses, LimitQuery } from '../common.ts';
import type { V1App } from '../router.ts';
import { toWebhookEndpointJson, WebhookEndpointSchema } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/webhook-endpoints',
  tags: ['Webhook endpoints'],
  summary: 'List webhook endpoints, oldest first',
  request: { query: z.strictObject({ limit: LimitQuery, cursor: cursorQuery('webhookEndpoint') }) },
  responses: {
    200: {
      description: 'A page of webhook endpoints (never their secrets)',
      content: {
        'application/json': {
          schema: z.object({ data: z.array(WebhookEndpointSchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400),
  },
});

export function registerListWebhookEndpoints(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listWebhookEndpoints(deps.db, c.get('customerId'), { limit, after: cursor });
    const now = new Date();
    return c.json(
      { data: page.items.map((row) => toWebhookEndpointJson(row, now)), next_cursor: page.nextCursor },
      200,
    );
  });
}
