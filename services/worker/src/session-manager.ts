// The sessions this worker holds: placement (assign/release under the cap), resume on boot, shutdown.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type EventData, type EventEnvelope, type eventDataSchemas, makeEvent } from '@whatisup/contracts';
import type { Logger } from 'pino';
import {
  readSessionMeta,
  sessionDir,
  sessionsDir,
  sweepWipedSessions,
  wipeAuthStore,
  writeSessionMeta,
} from './auth-state/index.ts';
import type { EventPublisher } from './event-publisher.ts';
import { type EmitOptions, InstanceSession, type SessionConfig } from './session/instance-session.ts';
import type { MediaFetcher } from './session/media-fetch.ts';

export class WorkerFullError extends Error {
  readonly code = 'worker_full';
}
export class WorkerDrainingError extends Error {
  readonly code = 'draining';
}

export interface SessionManagerOptions {
  workerId: string;
  dataDir: string;
  capacity: number;
  session: SessionConfig;
  logger: Logger;
  baileysLogger: Logger;
  media: MediaFetcher;
  events: EventPublisher;
  /** Called when sessions are added or removed, or change state (registry heartbeat, metrics). */
  onChange(): void;
  /** Sees every event the sessions emit (metrics). */
  observe?(event: EventEnvelope): void;
  /** Subscribes to the instance's command subject; returns the unsubscribe function. */
  listen(session: InstanceSession): () => void;
}

interface Held {
  session: InstanceSession;
  unlisten: () => void;
}

export class SessionManager {
  readonly #options: SessionManagerOptions;
  readonly #held = new Map<string, Held>();
  /** Slots taken synchronously before any await, so concurrent assigns can never pass the cap. */
  #reserved = 0;
  draining = false;

  constructor(options: SessionManagerOptions) {
    this.#options = options;
  }

  get capacity(): number {
    return this.#options.capacity;
  }

  get count(): number {
    return this.#held.size + this.#reserved;
  }

  sessions(): InstanceSession[] {
    return [...this.#held.values()].map((h) => h.session);
  }

  get(instanceId: string): InstanceSession | undefined {
    return this.#held.get(instanceId)?.session;
  }

  async assign(instanceId: string, customerId: string): Promise<void> {
    if (this.#held.has(instanceId)) return;
    if (this.draining) throw new WorkerDrainingError('this worker is draining and takes no new instances');
    if (this.count >= this.#options.capacity) {
      throw new WorkerFullError(`this worker holds ${this.count} of ${this.#options.capacity} sessions`);
    }
    this.#reserved++;
    try {
      await writeSessionMeta(this.#recordDir(instanceId), {
        instance_id: instanceId,
        customer_id: customerId,
        created_at: new Date().toISOString(),
      });
    } finally {
      this.#reserved--;
    }
    // #hold puts the session in #held synchronously, before its first await: the slot passes from the
    // reservation to the held map in the same tick, so it is never counted twice nor free.
    await this.#hold(instanceId, customerId);
    this.#options.onChange();
  }

  /** Stops holding the instance. logout: also unlink it on WhatsApp and delete its auth-state (deletion). */
  async release(instanceId: string, logout: boolean): Promise<boolean> {
    const held = this.#held.get(instanceId);
    if (held) {
      if (logout) await held.session.logout();
      await held.session.stop();
      held.unlisten();
      this.#held.delete(instanceId);
    }
    if (logout) await wipeAuthStore(this.#authDir(instanceId));
    await rm(this.#recordDir(instanceId), { recursive: true, force: true });
    this.#options.onChange();
    return held !== undefined;
  }

  /**
   * Finds the instances this worker held (its placement records on the volume) and reserves their slots, so
   * assigns that arrive while they resume cannot take them. Pass the result to resume().
   */
  async reserveStored(): Promise<string[]> {
    await sweepWipedSessions(sessionsDir(this.#options.dataDir)).catch(() => {});
    const ids = (await readdir(this.#recordsDir).catch(() => [] as string[])).filter((name) =>
      /^ins_[0-9a-z]{26}$/.test(name),
    );
    this.#reserved += ids.length;
    return ids;
  }

  /** Resumes reserved instances: linked ones reconnect without a QR; unlinked ones start a new QR pairing. */
  async resume(ids: string[]): Promise<number> {
    let resumed = 0;
    await Promise.all(
      ids.map(async (instanceId) => {
        const meta = await readSessionMeta(this.#recordDir(instanceId)).catch(() => null);
        this.#reserved--;
        if (!meta) {
          this.#options.logger.error(
            { instance_id: instanceId },
            'placement record without readable metadata; left alone',
          );
          return;
        }
        await this.#hold(instanceId, meta.customer_id);
        resumed++;
      }),
    );
    this.#options.onChange();
    return resumed;
  }

  /** Closes every socket without logging out; auth-state stays for the next start. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.#held.values()].map(async ({ session, unlisten }) => {
        unlisten();
        await session.stop();
      }),
    );
    this.#held.clear();
  }

  async #hold(instanceId: string, customerId: string): Promise<void> {
    const { workerId, session: config, logger, baileysLogger, media, events } = this.#options;
    const emit = <T extends keyof typeof eventDataSchemas>(
      type: T,
      data: EventData<T>,
      options: EmitOptions = {},
    ) => {
      const event = makeEvent(type, { customerId, instanceId }, data as Record<string, unknown>);
      if (options.id) event.id = options.id;
      this.#options.observe?.(event);
      events.publish(event, options.onPublished);
    };
    const session = new InstanceSession({
      instanceId,
      customerId,
      workerId,
      authDir: this.#authDir(instanceId),
      outboxDir: join(this.#options.dataDir, 'outbox', instanceId),
      inboundDir: join(this.#options.dataDir, 'inbound', instanceId),
      config,
      logger,
      baileysLogger,
      media,
      emit,
      onStateChange: () => this.#options.onChange(),
    });
    const unlisten = this.#options.listen(session);
    this.#held.set(instanceId, { session, unlisten });
    await session.start();
  }

  #authDir(instanceId: string): string {
    return sessionDir(this.#options.dataDir, instanceId);
  }

  /** Placement records live apart from the auth-state, which a logout or invalidation wipes. */
  get #recordsDir(): string {
    return join(this.#options.dataDir, 'instances');
  }

  #recordDir(instanceId: string): string {
    if (!/^ins_[0-9a-z]{26}$/.test(instanceId)) throw new Error(`bad instance id ${instanceId}`);
    return join(this.#recordsDir, instanceId);
  }
}
