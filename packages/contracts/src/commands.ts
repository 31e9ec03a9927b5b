// Request/reply commands over NATS: `<p>.worker.<workerId>.<verb>` (placement) and
// `<p>.cmd.<instanceId>.<verb>` (answered by the worker holding the instance). Every reply is a
// CommandReply: ok with data, or an error with a stable code the gateway maps to HTTP.
import { z } from 'zod';
import { INSTANCE_STATUSES } from './instance-status.ts';

export const CORRELATION_HEADER = 'x-correlation-id';

export type CommandReply<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export function replySchema<T extends z.ZodType>(data: T) {
  return z.union([
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ]);
}

// Placement -----------------------------------------------------------------------------------------------

export const WORKER_VERBS = ['assign', 'release', 'drain'] as const;

export const assignRequest = z.object({ instance_id: z.string(), customer_id: z.string() });
export const assignData = z.object({ instance_id: z.string(), worker_id: z.string() });
/** logout: also unlink the device on WhatsApp (instance deletion); false just stops holding it (moves). */
export const releaseRequest = z.object({ instance_id: z.string(), logout: z.boolean() });
export const releaseData = z.object({ instance_id: z.string(), released: z.boolean() });

/** What each worker publishes in the registry KV bucket (key = worker id). */
export const workerRegistration = z.object({
  worker_id: z.string(),
  capacity: z.number().int(),
  sessions: z.number().int(),
  draining: z.boolean(),
  started_at: z.string(),
  updated_at: z.string(),
});
export type WorkerRegistration = z.infer<typeof workerRegistration>;

// Instance commands ---------------------------------------------------------------------------------------

export const INSTANCE_VERBS = ['status', 'qr', 'pairing-code', 'send', 'logout', 'restart'] as const;

export const instanceState = z.object({
  status: z.enum(INSTANCE_STATUSES),
  phone: z.string().nullable(),
  push_name: z.string().nullable(),
  last_error: z.object({ code: z.string(), message: z.string() }).nullable(),
  worker_id: z.string(),
});
export type InstanceState = z.infer<typeof instanceState>;

export const qrData = z.object({ qr: z.string(), expires_at: z.string() });
export const pairingCodeRequest = z.object({ phone: z.string() });
export const pairingCodeData = z.object({ code: z.string() });

/** A message reference resolved by the gateway from our own message id (for replies and reactions). */
export const waMessageRef = z.object({
  wa_message_id: z.string(),
  from_me: z.boolean(),
  /** The counterpart's MSISDN (the chat). */
  chat: z.string(),
  text: z.string().nullable(),
});

const mediaFields = {
  url: z.string(),
  caption: z.string().nullable().optional(),
  filename: z.string().nullable().optional(),
  mimetype: z.string().nullable().optional(),
};

export const messageContent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image'), ...mediaFields }),
  z.object({ type: z.literal('video'), ...mediaFields }),
  z.object({ type: z.literal('audio'), ...mediaFields }),
  z.object({ type: z.literal('document'), ...mediaFields }),
  z.object({
    type: z.literal('location'),
    latitude: z.number(),
    longitude: z.number(),
    name: z.string().nullable().optional(),
    address: z.string().nullable().optional(),
  }),
  z.object({ type: z.literal('reaction'), emoji: z.string(), target: waMessageRef }),
]);
export type MessageContent = z.infer<typeof messageContent>;

export const sendRequest = z.object({
  message_id: z.string(),
  customer_id: z.string(),
  /** Recipient MSISDN, digits only. */
  to: z.string(),
  content: messageContent,
  reply_to: waMessageRef.nullable(),
});
export type SendRequest = z.infer<typeof sendRequest>;
/** The WhatsApp message id is fixed when the worker accepts the message, so a replay cannot send twice. */
export const sendData = z.object({
  message_id: z.string(),
  wa_message_id: z.string(),
  status: z.literal('queued'),
});
