// Keeps this worker's entry in the bus's worker registry fresh; the registry's TTL removes it if we die.
import type { RegistryStore } from '@whatisup/bus';
import type { WorkerRegistration } from '@whatisup/contracts';
import type { Logger } from 'pino';

export class RegistryHeartbeat {
  readonly #kv: RegistryStore;
  readonly #logger: Logger;
  readonly #snapshot: () => Omit<WorkerRegistration, 'updated_at' | 'started_at'>;
  readonly #startedAt = new Date().toISOString();
  #timer: NodeJS.Timeout | undefined;
  lastBeatAt = 0;

  constructor(
    kv: RegistryStore,
    logger: Logger,
    snapshot: () => Omit<WorkerRegistration, 'updated_at' | 'started_at'>,
  ) {
    this.#kv = kv;
    this.#logger = logger;
    this.#snapshot = snapshot;
  }

  async start(intervalMs: number): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), intervalMs);
    this.#timer.unref();
  }

  /** Also called right after sessions change, so placement sees fresh counts. */
  async beat(): Promise<void> {
    const entry: WorkerRegistration = {
      ...this.#snapshot(),
      started_at: this.#startedAt,
      updated_at: new Date().toISOString(),
    };
    try {
      await this.#kv.put(entry.worker_id, JSON.stringify(entry));
      this.lastBeatAt = Date.now();
    } catch (error) {
      this.#logger.warn({ err: (error as Error).message }, 'registry heartbeat failed');
    }
  }

  async stop(workerId: string): Promise<void> {
    clearInterval(this.#timer);
    await this.#kv.delete(workerId).catch(() => {});
  }
}
