import { createRoute } from '@hono/zod-openapi';
import { insertWebhookEndpoint, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { errorResponses } from '../common.ts';
import type { V1App } from '../router.ts';
import {
  acceptWebhookUrl,
  CreateWebhookEndpointBody,
  emptyToNull,
  newSigningSecret,
  toWebhookEndpointJson,
  uniqueEvents,
  urlOrigin,
  WebhookEndpointWithSecretSchema,
} from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/webhook-endpoints',
  tags: ['Webhook endpoints'],
  summary: 'Create a webhook endpoint; the response carries its signing secret, shown only once',
  request: {
    body: { required: true, content: { 'application/json': { schema: CreateWebhookEndpointBody } } },
  },
  responses: {
    201: {
      description: 'Created, with its signing secret',
      content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
    },
    ...errorResponses(400, 413, 415),
  },
});

export function registerCreateWebhookEndpoint(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const url = acceptWebhookUrl(body.url, deps);
    const events = uniqueEvents(body.events);
    const secret = newSigningSecret();
    const customerId = c.get('customerId');
    const endpoint = await deps.db.transaction(async (tx) => {
      const row = await insertWebhookEndpoint(tx, {
        customerId,
        url,
        description: emptyToNull(body.description),
        events,
        secretSealed: deps.secretBox.seal(secret),
      });
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.create',
        targetType: 'webhook_endpoint',
        targetId: row.id,
        correlationId: c.get('correlationId'),
        metadata: { url_origin: urlOrigin(url), events },
      });
      return row;
    });
    return c.json({ ...toWebhookEndpointJson(endpoint), secret }, 201);
  });
}
