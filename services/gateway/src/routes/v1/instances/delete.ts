import { createRoute, z } from '@hono/zod-openapi';
import { deleteInstance, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { errorResponses, IdParam, requireId } from '../common.ts';
import type { V1App } from '../router.ts';

const route = createRoute({
  method: 'delete',
  path: '/instances/{id}',
  tags: ['Instances'],
  summary: 'Delete an instance and its messages',
  request: { params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }) },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(404) },
});

export function registerDeleteInstance(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const id = requireId('instance', c.req.valid('param').id, 'instance');
    const customerId = c.get('customerId');
    const deleted = await deps.db.transaction(async (tx) => {
      const row = await deleteInstance(tx, customerId, id);
      if (!row) return null;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'instance.delete',
        targetType: 'instance',
        targetId: id,
        correlationId: c.get('correlationId'),
        metadata: { name: row.name },
      });
      return row;
    });
    if (!deleted) throw notFound('instance');
    return c.body(null, 204);
  });
}
