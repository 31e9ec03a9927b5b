import { createRoute } from '@hono/zod-openapi';
import { deleteInstance, insertInstance, recordAudit, setInstanceWorker } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError } from '../../../errors.ts';
import { isUniqueViolation } from '../../../postgres-errors.ts';
import { placeInstance } from '../../../workers/placement.ts';
import { errorResponses } from '../common.ts';
import type { V1App } from '../router.ts';
import { CreateInstanceBody, InstanceSchema, toInstanceJson } from './schema.ts';

const route = createRoute({
  method: 'post',
  path: '/instances',
  tags: ['Instances'],
  summary: 'Create an instance (a WhatsApp number to link) and place it on a session worker',
  description:
    'The instance is placed on the session worker with the most free capacity, which starts connecting it ' +
    '(fetch the QR next). When every worker is full or none is reachable the instance is not kept: 503 ' +
    'no_capacity with Retry-After.',
  request: { body: { required: true, content: { 'application/json': { schema: CreateInstanceBody } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: InstanceSchema } } },
    ...errorResponses(400, 409, 413, 415, 503),
  },
});

export function registerCreateInstance(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const body = c.req.valid('json');
    const customerId = c.get('customerId');
    const audit = {
      customerId,
      actorType: 'api_key' as const,
      actorId: c.get('apiKeyId'),
      targetType: 'instance',
      correlationId: c.get('correlationId'),
    };
    let instance: Awaited<ReturnType<typeof insertInstance>>;
    try {
      // The row exists before any worker hears of it, so the worker's first events find it.
      instance = await deps.db.transaction(async (tx) => {
        const row = await insertInstance(tx, { customerId, name: body.name });
        await recordAudit(tx, {
          ...audit,
          action: 'instance.create',
          targetId: row.id,
          metadata: { name: row.name },
        });
        return row;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ApiError('conflict', `an instance named "${body.name}" already exists`);
      throw error;
    }

    let workerId: string;
    try {
      workerId = await placeInstance(deps, {
        instanceId: instance.id,
        customerId,
        correlationId: c.get('correlationId'),
      });
    } catch (error) {
      // Nobody took it: remove it again, so the customer is not left with an instance no worker serves.
      await deps.db.transaction(async (tx) => {
        await deleteInstance(tx, customerId, instance.id);
        await recordAudit(tx, {
          ...audit,
          action: 'instance.delete',
          targetId: instance.id,
          metadata: {
            name: instance.name,
            reason: 'placement_failed',
            error_code: error instanceof ApiError ? error.code : 'internal_error',
          },
        });
      });
      throw error;
    }
    const placed = (await setInstanceWorker(deps.db, instance.id, workerId)) ?? instance;
    return c.json(toInstanceJson(placed), 201);
  });
}
