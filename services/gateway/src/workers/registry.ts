// Reads the worker registry (a NATS KV bucket, one key per worker, refreshed by each worker's heartbeat).
// Read fresh for every placement and readiness probe: at 100 workers that is 100 small gets in parallel,
// and nothing has to be kept in sync between gateway replicas.
import { type WorkerRegistration, workerRegistration } from '@whatisup/contracts';
import type { KV } from 'nats';

export interface WorkerRegistry {
  /** Live entries: parseable and refreshed within the TTL. Draining ones are included (flagged). */
  list(): Promise<WorkerRegistration[]>;
}

export function kvWorkerRegistry(
  bucket: () => Promise<KV>,
  options: { ttlMs: number; now?: () => number },
): WorkerRegistry {
  const now = options.now ?? Date.now;
  return {
    async list() {
      const kv = await bucket();
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      const entries = await Promise.all(keys.map((key) => kv.get(key)));
      const oldest = now() - options.ttlMs;
      const live: WorkerRegistration[] = [];
      for (const entry of entries) {
        if (entry?.operation !== 'PUT' || entry.length === 0) continue;
        let value: unknown;
        try {
          value = entry.json();
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
