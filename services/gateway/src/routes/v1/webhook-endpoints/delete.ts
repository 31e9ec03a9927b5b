import { createRoute, z } from '@hono/zod-openapi';
import { deleteWebhookEndpoint, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { ENDPOINT_ID_EXAMPLE, urlOrigin } from './schema.ts';

const route = createRoute({
  method: 'delete',
  path: '/webhook-endpoints/{id}',
  tags: ['Webhook endpoints'],
  summary: 'Delete a webhook endpoint; it receives nothing more',
  request: { params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }) },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(404) },
});

export function registerDeleteWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    const customerId = c.get('customerId');
    const deleted = await deps.db.transaction(async (tx) => {
      const row = await deleteWebhookEndpoint(tx, customerId, id);
      if (!row) return null;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.delete',
        targetType: 'webhook_endpoint',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: { url_origin: urlOrigin(row.url) },
      });
      return row;
    });
    if (!deleted) throw notFound('webhook endpoint');
    return c.body(null, 204);
  });
}
