// Command handlers on the bus: placement verbs on <p>.worker.<id>.*, instance verbs on <p>.cmd.<instanceId>.*.
import type { Bus, BusMessage, BusSubscription } from '@whatisup/bus';
import {
  assignRequest,
  CORRELATION_HEADER,
  type CommandReply,
  pairingCodeRequest,
  releaseRequest,
  sendRequest,
} from '@whatisup/contracts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { type InstanceSession, SessionCommandError } from './session/instance-session.ts';
import type { SessionManager } from './session-manager.ts';

const json = {
  encode: (value: unknown) => new TextEncoder().encode(JSON.stringify(value)),
  decode: (data: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(data)),
};

type Handler = (payload: unknown) => Promise<unknown>;

function parse<T extends z.ZodType>(schema: T, payload: unknown): z.infer<T> {
  const result = schema.safeParse(payload);
  if (!result.success) throw new SessionCommandError('invalid_command', result.error.message);
  return result.data;
}

async function answer(
  msg: BusMessage,
  handler: Handler,
  logger: Logger,
  context: Record<string, unknown>,
): Promise<void> {
  const started = performance.now();
  let reply: CommandReply<unknown>;
  try {
    const payload = msg.data.length > 0 ? json.decode(msg.data) : {};
    reply = { ok: true, data: await handler(payload) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    reply = {
      ok: false,
      error: { code: typeof code === 'string' ? code : 'worker_error', message: (error as Error).message },
    };
    if (typeof code !== 'string') logger.error({ err: error, ...context }, 'command failed');
  }
  msg.respond(json.encode(reply));
  logger.info(
    {
      ...context,
      correlation_id: msg.headers[CORRELATION_HEADER] || undefined,
      ok: reply.ok,
      code: reply.ok ? undefined : reply.error.code,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
    },
    'command',
  );
}

export function listenForPlacement(
  bus: Bus,
  workerId: string,
  manager: SessionManager,
  logger: Logger,
): BusSubscription {
  const { subjects } = bus;
  const handlers: Record<string, Handler> = {
    assign: async (payload) => {
      const request = parse(assignRequest, payload);
      await manager.assign(request.instance_id, request.customer_id);
      return { instance_id: request.instance_id, worker_id: workerId };
    },
    release: async (payload) => {
      const request = parse(releaseRequest, payload);
      return {
        instance_id: request.instance_id,
        released: await manager.release(request.instance_id, request.logout),
      };
    },
    drain: async () => {
      manager.draining = true;
      return { worker_id: workerId, draining: true };
    },
  };
  const prefix = subjects.worker(workerId, '');
  return bus.subscribe(subjects.worker(workerId, '*'), (msg) => {
    const verb = msg.subject.slice(prefix.length);
    const handler = handlers[verb];
    if (handler) void answer(msg, handler, logger, { verb, worker_id: workerId });
  });
}

export function listenForInstance(bus: Bus, session: InstanceSession, logger: Logger): () => void {
  const { subjects } = bus;
  const handlers: Record<string, Handler> = {
    status: async () => session.state(),
    qr: async () => session.currentQr(),
    'pairing-code': async (payload) => ({
      code: await session.pairingCode(parse(pairingCodeRequest, payload).phone),
    }),
    send: async (payload) => {
      const request = parse(sendRequest, payload);
      if (request.customer_id !== session.customerId) {
        throw new SessionCommandError('invalid_command', 'message belongs to another customer');
      }
      return { ...(await session.enqueue(request)), status: 'queued' };
    },
    logout: async () => {
      await session.logout();
      return session.state();
    },
    restart: async () => {
      await session.restart();
      return session.state();
    },
  };
  const prefix = subjects.command(session.instanceId, '');
  const subscription = bus.subscribe(subjects.command(session.instanceId, '*'), (msg) => {
    const verb = msg.subject.slice(prefix.length);
    const handler = handlers[verb];
    if (handler) void answer(msg, handler, logger, { verb, instance_id: session.instanceId });
  });
  return () => subscription.unsubscribe();
}
