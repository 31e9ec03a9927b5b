import { createRoute, z } from '@hono/zod-openapi';
import { listInstances } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { cursorQuery, errorResponses, LimitQuery } from '../common.ts';
import type { V1App } from '../router.ts';
import { InstanceSchema, toInstanceJson } from './schema.ts';

const route = createRoute({
  method: 'get',
  path: '/instances',
  tags: ['Instances'],
  summary: 'List instances, oldest first',
  request: { query: z.strictObject({ limit: LimitQuery, cursor: cursorQuery('instance') }) },
  responses: {
    200: {
      description: 'A page of instances',
      content: {
        'application/json': {
          schema: z.object({ data: z.array(InstanceSchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400),
  },
});

export function registerListInstances(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listInstances(deps.db, c.get('customerId'), { limit, after: cursor });
    return c.json({ data: page.items.map(toInstanceJson), next_cursor: page.nextCursor }, 200);
  });
}
