// Reads the worker registry (the bus's registry, one key per worker, refreshed by each worker's heartbeat).
// Read fresh for every placement and readiness probe: at 100 workers that is 100 small gets in parallel,
// and nothing has to be kept in sync between gateway replicas.
import type { RegistryStore } from '@whatisup/bus';
import { type WorkerRegistration, workerRegistration } from '@whatisup/contracts';

export interface WorkerRegistry {
  /** Live entries: parseable and refreshed within the TTL. Draining ones are included (flagged). */
  list(): Promise<WorkerRegistration[]>;
}

export function kvWorkerRegistry(
  store: RegistryStore,
  options: { ttlMs: number; now?: () => number },
): WorkerRegistry {
  const now = options.now ?? Date.now;
  return {
    async list() {
      const entries = await store.list();
      const oldest = now() - options.ttlMs;
      const live: WorkerRegistration[] = [];
      for (const entry of entries) {
        if (entry.value.length === 0) continue;
        let value: unknown;
        try {
          value = JSON.parse(entry.value);
        } catch {
          continue;
        }
        const parsed = workerRegistration.safeParse(value);
        if (!parsed.success) continue;
        const updatedAt = Date.parse(parsed.data.updated_at);
        if (!Number.isFinite(updatedAt) || updatedAt < oldest) continue;
        live.push(parsed.data);
      }
      return live.sort((a, b) => a.worker_id.localeCompare(b.worker_id));
    },
  };
}
