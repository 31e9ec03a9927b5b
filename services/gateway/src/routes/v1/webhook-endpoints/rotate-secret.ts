import { createRoute, z } from '@hono/zod-openapi';
import { recordAudit, rotateWebhookEndpointSecret } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import {
  DEFAULT_OVERLAP_SECONDS,
  ENDPOINT_ID_EXAMPLE,
  newSigningSecret,
  RotateSecretBody,
  toWebhookEndpointJson,
  WebhookEndpointWithSecretSchema,
} from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/webhook-endpoints/{id}/rotate-secret',
  tags: ['Webhook endpoints'],
  summary: 'Replace the signing secret; the new one is shown only in this response',
  description:
    'During the overlap window every delivery carries two signatures (new and previous secret, ' +
    'space-separated in webhook-signature), so receivers can switch secrets without dropping deliveries. ' +
    'Only one previous secret is kept: rotating again inside the window retires the older one at once.',
  request: {
    params: z.object({ id: IdParam('id', ENDPOINT_ID_EXAMPLE) }),
    body: { required: false, content: { 'application/json': { schema: RotateSecretBody } } },
  },
  responses: {
    200: {
      description: 'The webhook endpoint with its new signing secret',
      content: { 'application/json': { schema: WebhookEndpointWithSecretSchema } },
    },
    ...errorResponses(400, 404, 413, 415),
  },
});

export function registerRotateWebhookEndpointSecret(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('webhookEndpoint', c.req.valid('param').id, 'webhook endpoint');
    // Without a body the validator hands over {} untouched, so the default is applied here.
    const overlapSeconds = c.req.valid('json').overlap_seconds ?? DEFAULT_OVERLAP_SECONDS;
    const secret = newSigningSecret();
    const customerId = c.get('customerId');
    const endpoint = await deps.db.transaction(async (tx) => {
      const row = await rotateWebhookEndpointSecret(tx, customerId, id, {
        secretSealed: deps.secretBox.seal(secret),
        overlapSeconds,
      });
      if (!row) return null;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'webhook_endpoint.rotate_secret',
        targetType: 'webhook_endpoint',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: {
          overlap_seconds: overlapSeconds,
          previous_secret_expires_at: row.previousSecretExpiresAt?.toISOString() ?? null,
        },
      });
      return row;
    });
    if (!endpoint) throw notFound('webhook endpoint');
    return c.json({ ...toWebhookEndpointJson(endpoint), secret }, 200);
  });
}
