import { createRoute, z } from '@hono/zod-openapi';
import { findMessage } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { requireInstance } from './instance-access.ts';
import { MessageSchema, toMessageJson } from './message-schema.ts';

const route = createRoute({
  method: 'get',
  path: '/instances/{id}/messages/{messageId}',
  tags: ['Messages'],
  summary: 'One message: its status, WhatsApp id and, when it failed, why',
  request: {
    params: z.object({
      id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k'),
      messageId: IdParam('messageId', 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k'),
    }),
  },
  responses: {
    200: { description: 'The message', content: { 'application/json': { schema: MessageSchema } } },
    ...errorResponses(404),
  },
});

export function registerGetMessage(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const customerId = c.get('customerId');
    const params = c.req.valid('param');
    const instance = await requireInstance(deps, customerId, params.id);
    const messageId = requireId('message', params.messageId, 'message');
    const row = await findMessage(deps.db, customerId, instance.id, messageId);
    if (!row) throw notFound('message');
    return c.json(toMessageJson(row), 200);
  });
}
