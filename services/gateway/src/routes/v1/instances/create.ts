import { createRoute } from '@hono/zod-openapi';
import { insertInstance, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError } from '../../../errors.ts';
import { isUniqueViolation } from '../../../postgres-errors.ts';
import { errorResponses } from '../common.ts';
import type { V1App } from '../router.ts';
import { CreateInstanceBody, InstanceSchema, toInstanceJson } from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/instances',
  tags: ['Instances'],
  summary: 'Create an instance (a WhatsApp number to link)',
  request: { body: { required: true, content: { 'application/json': { schema: CreateInstanceBody } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: InstanceSchema } } },
    ...errorResponses(400, 409, 413, 415),
  },
});

export function registerCreateInstance(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const customerId = c.get('customerId');
    try {
      const instance = await deps.db.transaction(async (tx) => {
        const row = await insertInstance(tx, { customerId, name: body.name });
        await recordAudit(tx, {
          customerId,
          actorType: 'api_key',
          actorId: c.get('apiKeyId'),
          action: 'instance.create',
          targetType: 'instance',
          targetId: row.id,
          correlationId: c.get('correlationId'),
          metadata: { name: row.name },
        });
        return row;
      });
      return c.json(toInstanceJson(instance), 201);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ApiError('conflict', `an instance named "${body.name}" already exists`);
      throw error;
    }
  });
}
