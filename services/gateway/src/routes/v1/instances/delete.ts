import { createRoute, z } from '@hono/zod-openapi';
import { releaseData } from '@whatisup/contracts';
import { deleteInstance, recordAudit } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { toApiError, WorkerTransportError } from '../../../workers/worker-client.ts';
import { errorResponses, IdParam } from '../common.ts';
import type { V1App } from '../router.ts';
import { requireInstance } from './instance-access.ts';

const route = createRoute({
  method: 'delete',
  path: '/instances/{id}',
  tags: ['Instances'],
  summary: 'Delete an instance: unlink it on WhatsApp, wipe its session, delete it and its messages',
  description:
    'The worker holding the instance logs it out on WhatsApp and wipes its auth-state, then the instance ' +
    'and its messages are deleted. If no worker holds it any more the instance is still deleted (the audit ' +
    'row says the worker was unreachable). A worker that does not answer in time is a 504: nothing is deleted, retry.',
  request: { params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }) },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(404, 502, 504) },
});

type Release = { released: boolean; outcome: 'released' | 'no_worker' | 'worker_unreachable' | string };

export function registerDeleteInstance(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const customerId = c.get('customerId');
    const instance = await requireInstance(deps, customerId, c.req.valid('param').id);
    const release = await releaseOnWorker(deps, instance.id, instance.workerId, c.get('correlationId'));
    const deleted = await deps.db.transaction(async (tx) => {
      const row = await deleteInstance(tx, customerId, instance.id);
      if (!row) return null;
      await recordAudit(tx, {
        customerId,
        actorType: 'api_key',
        actorId: c.get('apiKeyId'),
        action: 'instance.delete',
        targetType: 'instance',
        targetId: instance.id,
        correlationId: c.get('correlationId'),
        metadata: {
          name: row.name,
          worker_id: instance.workerId,
          worker_released: release.released,
          release: release.outcome,
        },
      });
      return row;
    });
    if (!deleted) throw notFound('instance');
    return c.body(null, 204);
  });
}

async function releaseOnWorker(
  deps: GatewayDeps,
  instanceId: string,
  workerId: string | null,
  correlationId: string,
): Promise<Release> {
  if (!workerId) return { released: false, outcome: 'no_worker' };
  try {
    const reply = await deps.workers.call(
      deps.workers.subjects.worker(workerId, 'release'),
      { instance_id: instanceId, logout: true },
      releaseData,
      { correlationId },
    );
    return reply.ok
      ? { released: reply.data.released, outcome: 'released' }
      : { released: false, outcome: reply.error.code };
  } catch (error) {
    if (error instanceof WorkerTransportError && error.reason === 'no_responders')
      return { released: false, outcome: 'worker_unreachable' };
    throw toApiError(error, deps.workers.timeoutMs);
  }
}
