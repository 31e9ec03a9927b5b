// Request/reply to session workers over the bus (design.md "Contracts"): JSON in, a CommandReply out, the
// correlation id in the `x-correlation-id` header. `call` returns the worker's reply as it is (placement
// reads refusals such as worker_full); `command` turns everything that is not ok into the API's errors.
import { type Bus, BusNoResponderError, BusTimeoutError, BusUnavailableError } from '@whatisup/bus';
import { CORRELATION_HEADER, type CommandReply, replySchema, type Subjects } from '@whatisup/contracts';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { ApiError, type ErrorCode as ApiErrorCode } from '../errors.ts';

/** Seconds a client should wait before retrying when no worker holds an instance (a worker restarting). */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export interface WorkerCallOptions {
  correlationId: string;
  /** Defaults to the client's command timeout. */
  timeoutMs?: number;
}

/**
 * Nobody answered (no subscriber: no worker holds that subject), the worker did not answer in time, or the
 * bus itself is down (the request failed at once instead of waiting for its timeout).
 */
export class WorkerTransportError extends Error {
  readonly reason: 'no_responders' | 'timeout' | 'bus_unavailable';
  constructor(reason: WorkerTransportError['reason'], subject: string, timeoutMs: number) {
    super(
      reason === 'no_responders'
        ? `no responder on ${subject}`
        : reason === 'timeout'
          ? `no reply on ${subject} within ${timeoutMs} ms`
          : `the bus is unavailable (${subject})`,
    );
    this.reason = reason;
  }
}

/**
 * Worker refusal codes the gateway knows, and the API error each becomes. The worker's own message is
 * passed through: it is written for customers. Anything else is a 502 worker_error.
 */
const REFUSALS: Record<string, ApiErrorCode> = {
  qr_unavailable: 'qr_unavailable',
  not_connected: 'instance_not_connected',
  instance_not_connected: 'instance_not_connected',
  instance_already_linked: 'instance_already_linked',
  restart_throttled: 'instance_throttled',
  qr_throttled: 'instance_throttled',
  timeout: 'command_timeout',
  not_held: 'instance_unavailable',
  unknown_instance: 'instance_unavailable',
  draining: 'instance_unavailable',
  worker_full: 'no_capacity',
};

export class WorkerClient {
  readonly subjects: Subjects;
  readonly #bus: Bus;
  /** Default timeout of a request, in milliseconds. */
  readonly timeoutMs: number;
  readonly #logger: Logger;

  constructor(bus: Bus, options: { timeoutMs: number; logger: Logger }) {
    this.#bus = bus;
    this.subjects = bus.subjects;
    this.timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
  }

  /** One request; throws WorkerTransportError when nobody answers, ApiError worker_error on a malformed reply. */
  async call<T extends z.ZodType>(
    subject: string,
    payload: unknown,
    data: T,
    options: WorkerCallOptions,
  ): Promise<CommandReply<z.infer<T>>> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const started = performance.now();
    const log = (outcome: string, level: 'debug' | 'info' = 'info') =>
      this.#logger[level](
        {
          subject,
          outcome,
          duration_ms: Math.round(performance.now() - started),
          correlation_id: options.correlationId,
        },
        'worker command',
      );
    let raw: unknown;
    try {
      const reply = await this.#bus.request(subject, new TextEncoder().encode(JSON.stringify(payload)), {
        timeoutMs,
        headers: { [CORRELATION_HEADER]: options.correlationId },
      });
      raw = JSON.parse(new TextDecoder().decode(reply));
    } catch (error) {
      for (const [type, reason] of [
        [BusNoResponderError, 'no_responders'],
        [BusTimeoutError, 'timeout'],
        [BusUnavailableError, 'bus_unavailable'],
      ] as const) {
        if (!(error instanceof type)) continue;
        log(reason);
        throw new WorkerTransportError(reason, subject, timeoutMs);
      }
      if (error instanceof SyntaxError) {
        log('malformed_reply');
        throw new ApiError('worker_error', 'the worker sent a reply that is not JSON', { cause: error });
      }
      throw error;
    }
    const parsed = replySchema(data).safeParse(raw);
    if (!parsed.success) {
      log('malformed_reply');
      throw new ApiError('worker_error', 'the worker sent a reply the gateway does not understand', {
        cause: parsed.error,
      });
    }
    const reply = parsed.data as CommandReply<z.infer<T>>;
    log(reply.ok ? 'ok' : reply.error.code, reply.ok ? 'debug' : 'info');
    return reply;
  }

  /** An instance command (`<p>.cmd.<instanceId>.<verb>`); every failure becomes an ApiError. */
  async command<T extends z.ZodType>(
    instanceId: string,
    verb: string,
    payload: unknown,
    data: T,
    options: WorkerCallOptions,
  ): Promise<z.infer<T>> {
    let reply: CommandReply<z.infer<T>>;
    try {
      reply = await this.call(this.subjects.command(instanceId, verb), payload, data, options);
    } catch (error) {
      throw toApiError(error, options.timeoutMs ?? this.timeoutMs);
    }
    if (!reply.ok) throw refusalError(reply.error);
    return reply.data;
  }
}

/** The API error for a transport failure; other errors are passed through unchanged. */
export function toApiError(error: unknown, timeoutMs: number): unknown {
  if (!(error instanceof WorkerTransportError)) return error;
  if (error.reason === 'bus_unavailable') {
    return new ApiError(
      'instance_unavailable',
      'The gateway cannot reach the session workers right now (message bus unavailable); retry after Retry-After.',
      { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS, cause: error },
    );
  }
  if (error.reason === 'no_responders') {
    return new ApiError(
      'instance_unavailable',
      'No worker holds this instance right now (it may be restarting or moving); retry after Retry-After.',
      { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS, cause: error },
    );
  }
  return new ApiError(
    'command_timeout',
    `The worker holding this instance did not answer within ${timeoutMs} ms; retry later.`,
    { cause: error },
  );
}

export function refusalError(error: { code: string; message: string }): ApiError {
  const code = REFUSALS[error.code] ?? 'worker_error';
  const retryAfterSeconds =
    code === 'instance_unavailable' || code === 'no_capacity' ? UNAVAILABLE_RETRY_AFTER_SECONDS : undefined;
  const message =
    code === 'worker_error'
      ? `The worker refused the command (${error.code}): ${error.message}`
      : error.message;
  return new ApiError(code, message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
}
