// The shape shared by logout and restart: send the verb to the worker holding the instance, record the state
// it reports and the audit row in one transaction, answer with the instance.
import { createRoute, z } from '@hono/zod-openapi';
import { instanceState } from '@whatisup/contracts';
import { recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { errorResponses, IdParam } from '../common.ts';
import type { V1App } from '../router.ts';
import { recordReportedState, requireInstance } from './instance-access.ts';
import { InstanceSchema, toInstanceJson } from './schema.ts';

export function registerStateCommand(
  app: V1App,
  deps: GatewayDeps,
  command: { verb: 'logout' | 'restart'; summary: string },
): void {
  const route = createRoute({
    method: 'post',
    path: `/instances/{id}/${command.verb}`,
    tags: ['Instances'],
    summary: command.summary,
    request: { params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }) },
    responses: {
      200: {
        description: 'The instance, in the state the worker reports',
        content: { 'application/json': { schema: InstanceSchema } },
      },
      ...errorResponses(404, 409, 502, 503, 504),
    },
  });
  app.openapi(route, async (c) => {
    const customerId = c.get('customerId');
    const instance = await requireInstance(deps, customerId, c.req.valid('param').id);
    const state = await deps.workers.command(instance.id, command.verb, {}, instanceState, {
      correlationId: c.get('correlationId'),
    });
    const updated = await deps.db.transaction(async (tx) => {
      const row = await recordReportedState(tx, instance, state);
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: `instance.${command.verb}`,
        targetType: 'instance',
        targetId: instance.id,
        correlationId: c.get('correlationId'),
        metadata: { status: state.status },
      });
      return row;
    });
    return c.json(toInstanceJson(updated), 200);
  });
}
