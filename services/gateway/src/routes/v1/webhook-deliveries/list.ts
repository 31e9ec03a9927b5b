import { createRoute, z } from '@hono/zod-openapi';
import { isId } from '@whatisup/contracts';
import { listWebhookDeliveries } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { cursorQuery, DateTimeQuery, errorResponses, LimitQuery } from '../common.ts';
import type { V1App } from '../router.ts';
import { DELIVERY_EVENT_TYPES, DELIVERY_STATUSES, toDeliveryJson, WebhookDeliverySchema } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/webhook-deliveries',
  tags: ['Webhook deliveries'],
  summary: 'List webhook deliveries, newest first',
  description:
    'Use `status=failed` to see what your endpoint answered (`last_response_status`) or what went wrong ' +
    '(`last_error`).',
  request: {
    query: z.strictObject({
      status: z.enum(DELIVERY_STATUSES).optional(),
      endpoint_id: z
        .string()
        .max(64)
        .refine((value) => isId('webhookEndpoint', value), {
          message: 'endpoint_id must be a webhook endpoint id (whe_…)',
        })
        .optional(),
      event_type: z.enum(DELIVERY_EVENT_TYPES).optional(),
      since: DateTimeQuery()
        .optional()
        .openapi({ description: 'Only deliveries created at or after this time (RFC 3339)' }),
      limit: LimitQuery,
      cursor: cursorQuery('webhookDelivery'),
    }),
  },
  responses: {
    200: {
      description: 'A page of deliveries',
      content: {
        'application/json': {
          schema: z.object({ data: z.array(WebhookDeliverySchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400),
  },
});

export function registerListWebhookDeliveries(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid('query');
    const page = await listWebhookDeliveries(deps.db, c.get('customerId'), {
      status: query.status,
      endpointId: query.endpoint_id,
      eventType: query.event_type,
      since: query.since ? new Date(query.since) : undefined,
      before: query.cursor,
      limit: query.limit,
    });
    return c.json({ data: page.items.map(toDeliveryJson), next_cursor: page.nextCursor }, 200);
  });
}
