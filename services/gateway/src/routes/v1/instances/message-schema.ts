// The send body (one flat object; which fields apply depends on `type`) and the message as the API shows it.
import { z } from '@hono/zod-openapi';
import { isId, MESSAGE_STATUSES } from '@whatisup/contracts';
import type { Message } from '@whatisup/db';
import { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from '@whatisup/ssrf-guard';
import { Timestamp } from '../common.ts';
import { msisdn } from './schema.ts';

export const MESSAGE_TYPES = ['text', 'image', 'video', 'audio', 'document', 'location', 'reaction'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

type Field =
  | 'text'
  | 'url'
  | 'caption'
  | 'filename'
  | 'mimetype'
  | 'latitude'
  | 'longitude'
  | 'name'
  | 'address'
  | 'emoji'
  | 'message_id'
  | 'reply_to';

/** Which optional fields each type needs and allows (everything else is refused for that type). */
const FIELDS: Record<MessageType, { required: Field[]; allowed: Field[] }> = {
  text: { required: ['text'], allowed: ['reply_to'] },
  image: { required: ['url'], allowed: ['caption', 'mimetype', 'reply_to'] },
  video: { required: ['url'], allowed: ['caption', 'mimetype', 'reply_to'] },
  audio: { required: ['url'], allowed: ['mimetype', 'reply_to'] },
  document: { required: ['url'], allowed: ['caption', 'filename', 'mimetype', 'reply_to'] },
  location: { required: ['latitude', 'longitude'], allowed: ['name', 'address', 'reply_to'] },
  reaction: { required: ['emoji', 'message_id'], allowed: [] },
};

const codePoints = (value: string) => [...value].length;

/** Text that Postgres and WhatsApp can both carry: no NUL, no lone surrogates. */
function text(field: string, min: number, max: number) {
  return z
    .string({ error: `${field} must be a string` })
    .refine((value) => codePoints(value) >= min, { message: `${field} must not be empty` })
    .refine((value) => codePoints(value) <= max, { message: `${field} must be at most ${max} characters` })
    .refine((value) => !value.includes('\u0000') && value.isWellFormed(), {
      message: `${field} must be valid Unicode text without NUL characters`,
    });
}

const ourMessageId = (field: string, what: string) =>
  z.string({ error: `${field} must be a message id (msg_…)` }).refine((value) => isId('message', value), {
    message: `${field} must be the id of a message on this instance (msg_…), ${what}`,
  });

const grapheme = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

function baseSendMessageBody(allowPrivateMediaUrls: boolean) {
  return z.strictObject({
    to: msisdn('to'),
    type: z.enum(MESSAGE_TYPES, { error: `type must be one of: ${MESSAGE_TYPES.join(', ')}` }),
    text: text('text', 1, MAX_TEXT)
      .optional()
      .openapi({ description: `type text: the message, 1 to ${MAX_TEXT} characters` }),
    url: z
      .string({ error: 'url must be a string' })
      .max(MAX_WEBHOOK_URL_LENGTH, `url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters long`)
      .transform((value, ctx) => {
        // The worker downloads it: the same refusals as webhook URLs (no private or local targets).
        const check = checkWebhookUrl(value, { allowPrivate: allowPrivateMediaUrls });
        if (check.ok) return check.url.href;
        ctx.addIssue({ code: 'custom', message: check.reason.replace(/^webhook URL/, 'url') });
        return z.NEVER;
      })
      .optional()
      .openapi({
        description:
          'image, video, audio, document: where the worker downloads the media (public http(s) URL)',
      }),
    caption: text('caption', 1, MAX_CAPTION)
      .optional()
      .openapi({ description: `image, video, document: up to ${MAX_CAPTION} characters` }),
    filename: text('filename', 1, 255)
      .refine((value) => !/[/\\\p{Cc}]/u.test(value) && value !== '.' && value !== '..', {
        message: 'filename must be a plain file name, without "/", "\\" or control characters',
      })
      .optional()
      .openapi({ description: 'document: the file name the recipient sees' }),
    mimetype: z
      .string({ error: 'mimetype must be a string' })
      .max(127, 'mimetype must be at most 127 characters')
      .regex(
        /^[A-Za-z0-9][\w!#$&^.+-]*\/[A-Za-z0-9][\w!#$&^.+-]*(\s*;\s*[\w!#$&^.+-]+=[\w!#$&^.+-]+)*$/,
        'mimetype must be a media type such as image/jpeg or audio/ogg; codecs=opus',
      )
      .optional()
      .openapi({ description: 'Media type; guessed from the download when absent' }),
    latitude: z
      .number({ error: 'latitude must be a number' })
      .min(-90, 'latitude must be between -90 and 90')
      .max(90, 'latitude must be between -90 and 90')
      .optional(),
    longitude: z
      .number({ error: 'longitude must be a number' })
      .min(-180, 'longitude must be between -180 and 180')
      .max(180, 'longitude must be between -180 and 180')
      .optional(),
    name: text('name', 1, 256).optional().openapi({ description: 'location: name of the place' }),
    address: text('address', 1, 512).optional().openapi({ description: 'location: its address' }),
    emoji: z
      .string({ error: 'emoji must be a string' })
      .max(32, 'emoji must be a single emoji')
      .refine((value) => value === '' || ([...grapheme.segment(value)].length === 1 && EMOJI.test(value)), {
        message: 'emoji must be a single emoji, or "" to remove a reaction',
      })
      .optional()
      .openapi({ description: 'reaction: one emoji, or "" to remove the reaction' }),
    message_id: ourMessageId('message_id', 'to react to')
      .optional()
      .openapi({ description: 'reaction: our id of the message to react to' }),
    reply_to: ourMessageId('reply_to', 'to reply to')
      .optional()
      .openapi({ description: 'Our id of a message this one quotes (a reply)' }),
  });
}

export function sendMessageBody(allowPrivateMediaUrls: boolean) {
  return baseSendMessageBody(allowPrivateMediaUrls)
    .superRefine((body, ctx) => {
      const { required, allowed } = FIELDS[body.type];
      for (const field of required) {
        if (body[field] === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is required for type ${body.type}`,
          });
      }
      for (const field of Object.keys(body) as (keyof typeof body)[]) {
        if (field === 'to' || field === 'type' || body[field] === undefined) continue;
        if (!required.includes(field) && !allowed.includes(field))
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} does not apply to type ${body.type}`,
          });
      }
    })
    .openapi('SendMessage', {
      description:
        'Fields by type: text {text}; image and video {url, caption?, mimetype?}; audio {url, mimetype?}; ' +
        'document {url, caption?, filename?, mimetype?}; location {latitude, longitude, name?, address?}; ' +
        'reaction {emoji, message_id}. Every type but reaction may add reply_to.',
    });
}

export type SendMessageInput = z.infer<ReturnType<typeof sendMessageBody>>;

export const MessageSchema = z
  .object({
    id: z.string().openapi({ example: 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k' }),
    instance_id: z.string(),
    direction: z.enum(['out', 'in']).openapi({ description: 'out: sent through the API; in: received' }),
    to: z.string().openapi({ description: 'Recipient MSISDN (for received messages: the instance number)' }),
    from: z
      .string()
      .nullable()
      .openapi({ description: 'Sender MSISDN of a received message; null for sends' }),
    type: z.string(),
    content: z.record(z.string(), z.unknown()).openapi({ description: 'The type-specific fields' }),
    status: z.enum(MESSAGE_STATUSES),
    wa_message_id: z.string().nullable().openapi({ description: "WhatsApp's id, once a worker accepted it" }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: 'Why it failed (status failed), in plain words' }),
    idempotency_key: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Message');

export type MessageJson = z.infer<typeof MessageSchema>;

export function toMessageJson(row: Message): MessageJson {
  const payload = (row.payload ?? {}) as Record<string, unknown>;
  const from = row.direction === 'in' && typeof payload.from === 'string' ? payload.from : null;
  return {
    id: row.id,
    instance_id: row.instanceId,
    direction: row.direction === 'in' ? 'in' : 'out',
    to: row.to,
    from,
    type: row.type,
    content: payload,
    status: row.status as MessageJson['status'],
    wa_message_id: row.waMessageId,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    idempotency_key: row.idempotencyKey,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
