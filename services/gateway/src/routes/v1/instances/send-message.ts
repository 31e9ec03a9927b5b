import { createRoute, z } from '@hono/zod-openapi';
import { type MessageContent, newId, type SendRequest, sendData, waMessageIdFor } from '@whatisup/contracts';
import {
  findMessage,
  findMessageByIdempotencyKey,
  type Instance,
  insertOutboundMessage,
  type Message,
  markMessageFailed,
  recordAudit,
  recordMessageAccepted,
  requeueMessage,
} from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError } from '../../../errors.ts';
import { isUniqueViolation } from '../../../postgres-errors.ts';
import { errorResponses, IdParam } from '../common.ts';
import type { V1App } from '../router.ts';
import { requireInstance } from './instance-access.ts';
import { MessageSchema, type SendMessageInput, sendMessageBody, toMessageJson } from './message-schema.ts';

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/**
 * Failures the gateway recorded before any worker took the message. A retry with the same Idempotency-Key
 * dispatches it again under the same id (the worker deduplicates by it, so a late "taken" cannot double).
 * Failures reported by the worker (message.failed) are final.
 */
const DISPATCH_FAILURES = [
  'instance_unavailable',
  'instance_not_connected',
  'command_timeout',
  'worker_error',
  'service_unavailable',
  'internal_error',
] as const;

function route(allowPrivateMediaUrls: boolean) {
  return createRoute({
    method: 'post',
    path: '/instances/{id}/messages',
    tags: ['Messages'],
    summary: 'Send a message (text, media by URL, location, reaction; optionally as a reply)',
    description:
      'Accepted messages are queued on the worker holding the instance and leave in order; their progress ' +
      'arrives as message.sent / delivered / read / failed events and shows on GET. With an Idempotency-Key, ' +
      'repeating the same request returns the same message (200) instead of sending it twice, and a retry ' +
      'after a 503/504 sends the same message again; the same key with a different body is 409 conflict.',
    request: {
      params: z.object({ id: IdParam('id', 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k') }),
      headers: z.object({
        'idempotency-key': z
          .string()
          .optional()
          .openapi({ description: 'Up to 200 printable ASCII characters, unique per request you mean once' }),
      }),
      body: {
        required: true,
        content: { 'application/json': { schema: sendMessageBody(allowPrivateMediaUrls) } },
      },
    },
    responses: {
      202: { description: 'Accepted and queued', content: { 'application/json': { schema: MessageSchema } } },
      200: {
        description:
          'A repeat of an earlier request with the same Idempotency-Key: that message as it is now',
        content: { 'application/json': { schema: MessageSchema } },
      },
      ...errorResponses(400, 404, 409, 413, 415, 502, 503, 504),
    },
  });
}

export function registerSendMessage(app: V1App, deps: GatewayDeps): void {
  app.openapi(route(deps.config.webhookAllowPrivateTargets), async (c) => {
    const customerId = c.get('customerId');
    const instance = await requireInstance(deps, customerId, c.req.valid('param').id);
    const body = c.req.valid('json');
    const idempotencyKey = idempotencyKeyOf(c.req.header('Idempotency-Key'));
    const request = { customerId, apiKeyId: c.get('apiKeyId'), correlationId: c.get('correlationId') };

    if (idempotencyKey !== null) {
      const earlier = await findMessageByIdempotencyKey(deps.db, customerId, idempotencyKey);
      if (earlier) {
        const repeated = await replay(deps, request, instance, body, earlier);
        return c.json(toMessageJson(repeated.message), repeated.status);
      }
    }

    const targets = await resolveTargets(deps, instance, body);
    const { to, type, ...payload } = body;
    let row: Message;
    try {
      row = await deps.db.transaction(async (tx) => {
        const inserted = await insertOutboundMessage(tx, {
          id: newId('message'),
          customerId,
          instanceId: instance.id,
          to,
          type,
          payload,
          idempotencyKey,
        });
        await recordSendAudit(tx, request, inserted, {});
        return inserted;
      });
    } catch (error) {
      // Two requests with the same key at once: the loser answers like a repeat.
      if (idempotencyKey === null || !isUniqueViolation(error)) throw error;
      const earlier = await findMessageByIdempotencyKey(deps.db, customerId, idempotencyKey);
      if (!earlier) throw error;
      const repeated = await replay(deps, request, instance, body, earlier);
      return c.json(toMessageJson(repeated.message), repeated.status);
    }
    const sent = await dispatch(deps, request.correlationId, instance, row, body, targets);
    return c.json(toMessageJson(sent), 202);
  });
}

type RequestContext = { customerId: string; apiKeyId: string; correlationId: string };
type Targets = { replyTo: SendRequest['reply_to']; reactTo: SendRequest['reply_to'] };

function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(header)) {
    const message = 'Idempotency-Key must be 1 to 200 printable ASCII characters';
    throw new ApiError('validation_failed', `invalid request: header.Idempotency-Key: ${message}`, {
      issues: [{ path: 'header.Idempotency-Key', message }],
    });
  }
  return header;
}

async function replay(
  deps: GatewayDeps,
  request: RequestContext,
  instance: Instance,
  body: SendMessageInput,
  earlier: Message,
): Promise<{ message: Message; status: 200 | 202 }> {
  const { to, type, ...payload } = body;
  const same =
    earlier.instanceId === instance.id &&
    earlier.to === to &&
    earlier.type === type &&
    canonical(earlier.payload) === canonical(payload);
  if (!same) {
    throw new ApiError(
      'conflict',
      `this Idempotency-Key was already used for a different request (message ${earlier.id}); use a new key for a new message`,
    );
  }
  const requeued = await deps.db.transaction(async (tx) => {
    const row = await requeueMessage(tx, earlier.id, DISPATCH_FAILURES);
    if (row) await recordSendAudit(tx, request, row, { retry_of_failure: earlier.errorCode });
    return row;
  });
  if (!requeued) return { message: earlier, status: 200 };
  const targets = await resolveTargets(deps, instance, body);
  return {
    message: await dispatch(deps, request.correlationId, instance, requeued, body, targets),
    status: 202,
  };
}

/** Hands the queued row to the worker holding the instance; a refusal marks the row failed, then throws. */
async function dispatch(
  deps: GatewayDeps,
  correlationId: string,
  instance: Instance,
  row: Message,
  body: SendMessageInput,
  targets: Targets,
): Promise<Message> {
  const send: SendRequest = {
    message_id: row.id,
    customer_id: row.customerId,
    to: row.to,
    content: contentOf(body, targets),
    reply_to: targets.replyTo,
  };
  let accepted: { wa_message_id: string };
  try {
    accepted = await deps.workers.command(instance.id, 'send', send, sendData, { correlationId });
  } catch (error) {
    const apiError = error instanceof ApiError ? error : null;
    await markMessageFailed(deps.db, row.id, {
      code: apiError?.code ?? 'internal_error',
      message:
        apiError?.message ??
        'The message could not be handed to a worker; retry with the same Idempotency-Key.',
    }).catch((markError: unknown) =>
      deps.logger.error({ err: markError, message_id: row.id }, 'could not mark a message failed'),
    );
    throw error;
  }
  // The worker has it now; an event may already have recorded the WhatsApp id (and moved the status on).
  return (
    (await recordMessageAccepted(deps.db, row.id, accepted.wa_message_id)) ??
    (await findMessage(deps.db, row.customerId, row.instanceId, row.id)) ??
    row
  );
}

function contentOf(body: SendMessageInput, targets: Targets): MessageContent {
  switch (body.type) {
    case 'text':
      return { type: 'text', text: body.text! };
    case 'location':
      return {
        type: 'location',
        latitude: body.latitude!,
        longitude: body.longitude!,
        name: body.name ?? null,
        address: body.address ?? null,
      };
    case 'reaction':
      return { type: 'reaction', emoji: body.emoji!, target: targets.reactTo! };
    default:
      return {
        type: body.type,
        url: body.url!,
        caption: body.caption ?? null,
        filename: body.filename ?? null,
        mimetype: body.mimetype ?? null,
      };
  }
}

/** reply_to and a reaction's message_id name our messages; the worker needs their WhatsApp references. */
async function resolveTargets(
  deps: GatewayDeps,
  instance: Instance,
  body: SendMessageInput,
): Promise<Targets> {
  const [replyTo, reactTo] = await Promise.all([
    body.reply_to ? messageRef(deps, instance, body.reply_to, 'reply_to') : null,
    body.message_id ? messageRef(deps, instance, body.message_id, 'message_id') : null,
  ]);
  return { replyTo, reactTo };
}

async function messageRef(
  deps: GatewayDeps,
  instance: Instance,
  messageId: string,
  field: string,
): Promise<NonNullable<SendRequest['reply_to']>> {
  const target = await findMessage(deps.db, instance.customerId, instance.id, messageId);
  const refuse = (message: string) =>
    new ApiError('validation_failed', `invalid request: body.${field}: ${message}`, {
      issues: [{ path: `body.${field}`, message }],
    });
  if (!target) throw refuse(`no message ${messageId} on this instance`);
  const payload = (target.payload ?? {}) as Record<string, unknown>;
  const outbound = target.direction !== 'in';
  // Our sends' WhatsApp ids are fixed by their id; a received message carries the one WhatsApp gave it.
  const waMessageId = target.waMessageId ?? (outbound ? waMessageIdFor(target.id) : null);
  if (!waMessageId || (outbound && target.status === 'failed' && target.waMessageId === null)) {
    throw refuse(`message ${messageId} never reached WhatsApp, so it cannot be quoted or reacted to`);
  }
  return {
    wa_message_id: waMessageId,
    from_me: outbound,
    chat: outbound ? target.to : typeof payload.from === 'string' ? payload.from : target.to,
    text: typeof payload.text === 'string' ? payload.text : null,
  };
}

async function recordSendAudit(
  tx: Parameters<typeof recordAudit>[0],
  request: RequestContext,
  row: Message,
  extra: Record<string, unknown>,
): Promise<void> {
  await recordAudit(tx, {
    customerId: request.customerId,
    actorType: 'api_key',
    actorId: request.apiKeyId,
    action: 'message.send',
    targetType: 'message',
    targetId: row.id,
    correlationId: request.correlationId,
    // Never the content: message bodies stay out of the audit log.
    metadata: { instance_id: row.instanceId, to: row.to, type: row.type, ...extra },
  });
}

/** JSON with sorted keys, so a body and its jsonb round trip compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
