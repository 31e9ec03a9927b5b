// Placement (design.md): ask the live, non-draining workers in order of free capacity to take an instance.
// The worker is the authority on its own cap: a refusal (worker_full, draining), a worker that has gone
// (no responder) or one that does not answer in time sends the gateway on to the next.
import { BusUnavailableError } from '@whatisup/bus';
import { assignData, releaseData } from '@whatisup/contracts';
import type { Logger } from 'pino';
import { ApiError } from '../errors.ts';
import type { WorkerRegistry } from './registry.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS, type WorkerClient, WorkerTransportError } from './worker-client.ts';

export interface PlacementInput {
  instanceId: string;
  customerId: string;
  correlationId: string;
}

/** Returns the id of the worker that took the instance, or throws ApiError no_capacity (503). */
export async function placeInstance(
  deps: { workers: WorkerClient; workerRegistry: WorkerRegistry; logger: Logger },
  input: PlacementInput,
): Promise<string> {
  let registered: Awaited<ReturnType<WorkerRegistry['list']>>;
  try {
    registered = await deps.workerRegistry.list();
  } catch (error) {
    if (!(error instanceof BusUnavailableError)) throw error;
    throw new ApiError(
      'service_unavailable',
      'The gateway cannot reach the session workers right now (message bus unavailable); retry after Retry-After.',
      { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS, cause: error },
    );
  }
  const candidates = registered
    .filter((entry) => !entry.draining && entry.capacity - entry.sessions > 0)
    .sort((a, b) => b.capacity - b.sessions - (a.capacity - a.sessions) || a.sessions - b.sessions);
  const refusals: string[] = [];
  for (const candidate of candidates) {
    const subject = deps.workers.subjects.worker(candidate.worker_id, 'assign');
    try {
      const reply = await deps.workers.call(
        subject,
        { instance_id: input.instanceId, customer_id: input.customerId },
        assignData,
        { correlationId: input.correlationId },
      );
      if (reply.ok) return reply.data.worker_id;
      refusals.push(`${candidate.worker_id}: ${reply.error.code}`);
    } catch (error) {
      if (!(error instanceof WorkerTransportError) && !(error instanceof ApiError)) throw error;
      refusals.push(
        `${candidate.worker_id}: ${error instanceof WorkerTransportError ? error.reason : error.code}`,
      );
      // A worker that answers late may still have taken the instance: ask it to let go, so the instance
      // is not held twice once the next worker takes it.
      if (error instanceof WorkerTransportError && error.reason === 'timeout')
        releaseQuietly(deps, candidate.worker_id, input);
    }
  }
  deps.logger.warn(
    {
      instance_id: input.instanceId,
      correlation_id: input.correlationId,
      workers: candidates.length,
      refusals,
    },
    'no worker could take the instance',
  );
  throw new ApiError(
    'no_capacity',
    candidates.length === 0
      ? 'No session worker has room for a new instance right now; retry after Retry-After.'
      : `Every session worker is full or unavailable (${candidates.length} asked); retry after Retry-After.`,
    { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS * 6 },
  );
}

function releaseQuietly(
  deps: { workers: WorkerClient; logger: Logger },
  workerId: string,
  input: PlacementInput,
): void {
  deps.workers
    .call(
      deps.workers.subjects.worker(workerId, 'release'),
      { instance_id: input.instanceId, logout: false },
      releaseData,
      { correlationId: input.correlationId },
    )
    .catch((error: unknown) =>
      deps.logger.info(
        { worker_id: workerId, instance_id: input.instanceId, err: (error as Error).message },
        'release after an assign timeout failed',
      ),
    );
}
