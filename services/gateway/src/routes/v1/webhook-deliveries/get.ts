import { createRoute, z } from '@hono/zod-openapi';
import { findWebhookDelivery, listDeliveryAttempts } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { DELIVERY_ID_EXAMPLE, toAttemptJson, toDeliveryJson, WebhookDeliveryDetailSchema } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/webhook-deliveries/{id}',
  tags: ['Webhook deliveries'],
  summary: 'Get a webhook delivery with its payload and every attempt',
  request: { params: z.object({ id: IdParam('id', DELIVERY_ID_EXAMPLE) }) },
  responses: {
    200: {
      description: 'The delivery',
      content: { 'application/json': { schema: WebhookDeliveryDetailSchema } },
    },
    ...errorResponses(404),
  },
});

export function registerGetWebhookDelivery(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookDelivery', c.req.valid('param').id, 'webhook delivery');
    const row = await findWebhookDelivery(deps.db, c.get('customerId'), id);
    if (!row) throw notFound('webhook delivery');
    const attempts = await listDeliveryAttempts(deps.db, row.id);
    return c.json(
      {
        ...toDeliveryJson(row),
        payload: row.payload as Record<string, unknown>,
        attempt_log: attempts.map(toAttemptJson),
      },
      200,
    );
  });
}
