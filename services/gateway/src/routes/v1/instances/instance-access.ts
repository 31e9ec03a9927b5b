// What the instance command routes share: finding the caller's instance (404 otherwise) and keeping the
// row in step with the state a worker reports in a command reply.
import type { InstanceState } from '@whatisup/contracts';
import { applyReportedInstanceState, type Executor, findInstance, type Instance } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { notFound } from '../../../errors.ts';
import { requireId } from '../common.ts';

export async function requireInstance(
  deps: GatewayDeps,
  customerId: string,
  rawId: string,
): Promise<Instance> {
  const id = requireId('instance', rawId, 'instance');
  const row = await findInstance(deps.db, customerId, id);
  if (!row) throw notFound('instance');
  return row;
}

/**
 * Until (and alongside) the projector, a command reply's state is written to the row, unless an event was
 * projected onto it since it was read: events are newer than the reply. Returns the row as it now is.
 */
export async function recordReportedState(
  db: Executor,
  row: Instance,
  state: InstanceState,
): Promise<Instance> {
  const updated = await applyReportedInstanceState(db, row.id, row.lastEventId, {
    status: state.status,
    phone: state.phone,
    pushName: state.push_name,
    workerId: state.worker_id,
    lastError: state.last_error,
  });
  return updated ?? (await findInstance(db, row.customerId, row.id)) ?? row;
}
