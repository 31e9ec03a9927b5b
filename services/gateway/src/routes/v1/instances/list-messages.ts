import { createRoute, z } from '@hono/zod-openapi';
import { MESSAGE_STATUSES } from '@whatisup/contracts';
import { listMessages } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { cursorQuery, errorResponses, IdParam, LimitQuery } from '../common.ts';
import type { V1App } from '../router.ts';
import { requireInstance } from './instance-access.ts';
import { MessageSchema, toMessageJson } from './message-schema.ts';

const route = createRoute({
  method: 'get',
  path: '/instances/{id}/messages',
  tags: ['Messages'],
  summary: "An instance's messages, sent and received, newest first",
  request: {
    params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }),
    query: z.strictObject({
      status: z.enum(MESSAGE_STATUSES).optional().openapi({ description: 'Only messages in this status' }),
      limit: LimitQuery,
      cursor: cursorQuery('message'),
    }),
  },
  responses: {
    200: {
      description: 'A page of messages',
      content: {
        'application/json': {
          schema: z.object({ data: z.array(MessageSchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400, 404),
  },
});

export function registerListMessages(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const customerId = c.get('customerId');
    const instance = await requireInstance(deps, customerId, c.req.valid('param').id);
    const { status, limit, cursor } = c.req.valid('query');
    const page = await listMessages(deps.db, customerId, instance.id, { limit, before: cursor, status });
    return c.json({ data: page.items.map(toMessageJson), next_cursor: page.nextCursor }, 200);
  });
}
