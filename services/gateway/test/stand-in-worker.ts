// A minimal stand-in for a session worker, for gateway tests only: it registers in the registry bucket,
// answers assign / release on `<p>.worker.<id>.*` like the real worker (atomic cap, refusals by code), and
// while it holds an instance answers `<p>.cmd.<instanceId>.<verb>` with whatever the test says. No WhatsApp.
import type { CommandReply, Subjects, WorkerRegistration } from '@whatisup/contracts';
import { CORRELATION_HEADER } from '@whatisup/contracts';
import { connect, type KV, type Msg, type NatsConnection, type Subscription } from 'nats';

/** What a command handler returns: a reply, or 'no_reply' to stay silent (the gateway times out). */
export type CommandAnswer = CommandReply<unknown> | 'no_reply';
export type CommandHandler = (
  instanceId: string,
  verb: string,
  payload: Record<string, unknown>,
  correlationId: string | undefined,
) => CommandAnswer | Promise<CommandAnswer>;

export interface StandInOptions {
  workerId: string;
  capacity: number;
  draining?: boolean;
  /** Answers instance commands for held instances; by default every command is refused as unknown. */
  onCommand?: CommandHandler;
  /** Delay before answering assign (ms), to let concurrent requests overlap. */
  assignDelayMs?: number;
}

export interface StandInWorker {
  readonly workerId: string;
  readonly held: Set<string>;
  /** Every assign it was asked, accepted or not. */
  readonly assigns: string[];
  readonly releases: { instance_id: string; logout: boolean }[];
  /** Every command received: subject verb, payload and correlation id. */
  readonly commands: {
    instanceId: string;
    verb: string;
    payload: Record<string, unknown>;
    correlationId?: string;
  }[];
  onCommand: CommandHandler;
  /** Stops answering (as if the process died) but leaves the registry entry, like a crash before TTL. */
  vanish(): Promise<void>;
  stop(): Promise<void>;
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

export async function startStandInWorker(
  natsUrl: string,
  subjects: Subjects,
  registry: KV,
  options: StandInOptions,
): Promise<StandInWorker> {
  const nc: NatsConnection = await connect({ servers: natsUrl, name: `stand-in-${options.workerId}` });
  const held = new Map<string, Subscription>();
  const startedAt = new Date().toISOString();
  const register = () => {
    const entry: WorkerRegistration = {
      worker_id: options.workerId,
      capacity: options.capacity,
      sessions: held.size,
      draining: options.draining ?? false,
      started_at: startedAt,
      updated_at: new Date().toISOString(),
    };
    return registry.put(options.workerId, JSON.stringify(entry));
  };

  const worker: StandInWorker = {
    workerId: options.workerId,
    get held() {
      return new Set(held.keys());
    },
    assigns: [],
    releases: [],
    commands: [],
    onCommand:
      options.onCommand ?? (() => ({ ok: false, error: { code: 'unknown_verb', message: 'stand-in' } })),
    async vanish() {
      if (!nc.isClosed()) await nc.close();
    },
    async stop() {
      await registry.delete(options.workerId).catch(() => {});
      await placementQueue;
      if (!nc.isClosed()) await nc.close();
    },
  };

  const holdInstance = async (instanceId: string) => {
    const sub = nc.subscribe(subjects.command(instanceId, '*'), {
      callback: (_error, msg) => void answerCommand(msg, instanceId),
    });
    held.set(instanceId, sub);
    await nc.flush();
  };

  const answerCommand = async (msg: Msg, instanceId: string) => {
    const verb = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const payload =
      msg.data.length > 0 ? (JSON.parse(new TextDecoder().decode(msg.data)) as Record<string, unknown>) : {};
    const correlationId = msg.headers?.get(CORRELATION_HEADER) || undefined;
    worker.commands.push({ instanceId, verb, payload, ...(correlationId ? { correlationId } : {}) });
    const answer = await worker.onCommand(instanceId, verb, payload, correlationId);
    if (answer !== 'no_reply') msg.respond(json(answer));
  };

  // Placement requests are handled one after another, as a worker does: a release that overtakes a slow
  // assign of the same instance waits for it and then undoes it.
  let placementQueue = Promise.resolve();
  const serially = (task: () => Promise<void>) => {
    placementQueue = placementQueue.then(task).catch(() => {});
  };

  nc.subscribe(subjects.worker(options.workerId, 'assign'), {
    callback: (_error, msg) =>
      serially(async () => {
        const request = JSON.parse(new TextDecoder().decode(msg.data)) as { instance_id: string };
        worker.assigns.push(request.instance_id);
        if (options.assignDelayMs) await new Promise((r) => setTimeout(r, options.assignDelayMs));
        if (options.draining) {
          msg.respond(json({ ok: false, error: { code: 'draining', message: 'worker is draining' } }));
          return;
        }
        // Check and take in one synchronous step: the cap holds however many assigns arrive at once.
        if (!held.has(request.instance_id) && held.size >= options.capacity) {
          msg.respond(json({ ok: false, error: { code: 'worker_full', message: 'worker is full' } }));
          return;
        }
        if (!held.has(request.instance_id)) await holdInstance(request.instance_id);
        await register();
        msg.respond(
          json({ ok: true, data: { instance_id: request.instance_id, worker_id: options.workerId } }),
        );
      }),
  });
  nc.subscribe(subjects.worker(options.workerId, 'release'), {
    callback: (_error, msg) =>
      serially(async () => {
        const request = JSON.parse(new TextDecoder().decode(msg.data)) as {
          instance_id: string;
          logout: boolean;
        };
        worker.releases.push(request);
        const sub = held.get(request.instance_id);
        sub?.unsubscribe();
        held.delete(request.instance_id);
        await register();
        msg.respond(
          json({ ok: true, data: { instance_id: request.instance_id, released: sub !== undefined } }),
        );
      }),
  });
  await nc.flush();
  await register();
  return worker;
}
