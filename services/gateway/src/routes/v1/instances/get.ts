import { createRoute, z } from '@hono/zod-openapi';
import { findInstance } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';
import { InstanceSchema, toInstanceJson } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/instances/{id}',
  tags: ['Instances'],
  summary: 'Get an instance',
  request: { params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }) },
  responses: {
    200: { description: 'The instance', content: { 'application/json': { schema: InstanceSchema } } },
    ...errorResponses(404),
  },
});

export function registerGetInstance(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('instance', c.req.valid('param').id, 'instance');
    const row = await findInstance(deps.db, c.get('customerId'), id);
    if (!row) throw notFound('instance');
    return c.json(toInstanceJson(row), 200);
  });
}
