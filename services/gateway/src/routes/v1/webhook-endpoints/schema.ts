// Webhook endpoint JSON, request bodies, and the checks the create and update routes share.
import { randomBytes } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { EVENT_TYPES, type EventType } from '@whatisup/contracts';
import type { WebhookEndpoint } from '@whatisup/db';
import { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from '@whatisup/ssrf-guard';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError } from '../../../errors.ts';
import { iso, Timestamp } from '../common.ts';

export const ENDPOINT_ID_EXAMPLE = 'whe_01jq0a3k5v7x9z2b4d6f8h0j2k';
export const MAX_EVENT_FILTERS = 50;
export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 604_800;

const STATUSES = ['active', 'paused', 'disabled'] as const;

export const WebhookEndpointSchema = z
  .object({
    id: z.string().openapi({ example: ENDPOINT_ID_EXAMPLE }),
    url: z.string().openapi({ example: 'https://example.com/whatisup/webhooks' }),
    description: z.string().nullable(),
    events: z.array(z.enum(EVENT_TYPES)).openapi({
      description: 'Event types delivered to this endpoint; an empty list means every type',
    }),
    status: z.enum(STATUSES).openapi({
      description:
        'active: receives deliveries. paused: deliveries are held, without spending attempts, until resumed. ' +
        'disabled: the service stopped deliveries (see disabled_reason); resume re-enables it',
    }),
    paused_at: Timestamp.nullable().openapi({ description: 'When the endpoint was paused, or null' }),
    disabled_at: Timestamp.nullable().openapi({ description: 'When the service disabled it, or null' }),
    disabled_reason: z.string().nullable().openapi({ description: 'Why the service disabled it, or null' }),
    previous_secret_expires_at: Timestamp.nullable().openapi({
      description:
        'After a rotation with an overlap, deliveries are signed with both the new and the previous secret ' +
        'until this time; null when only the current secret signs',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('WebhookEndpoint');

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().openapi({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw9jxDbKdi2Uo=',
    description:
      'The Standard Webhooks signing secret (whsec_ + base64 of 32 random bytes). Shown only in this ' +
      'response: store it now; it is never returned again',
  }),
}).openapi('WebhookEndpointWithSecret');

const Url = z
  .string()
  .min(1, { error: 'webhook URL is required' })
  .max(MAX_WEBHOOK_URL_LENGTH, {
    error: `webhook URL must be at most ${MAX_WEBHOOK_URL_LENGTH} characters long`,
  })
  .openapi({
    example: 'https://example.com/whatisup/webhooks',
    description:
      'https or http URL on a public DNS name or public IP; no credentials, no fragment. Loopback, ' +
      'private, link-local, CGNAT, ULA, multicast and unspecified addresses are refused in every spelling. ' +
      'Stored and shown in normalised form (lower-case host, trailing slash on a bare origin)',
  });

const Events = z
  .array(
    z.enum(EVENT_TYPES, {
      error: (issue) =>
        typeof issue.input === 'string'
          ? `unknown event type "${clip(issue.input)}" (known: ${EVENT_TYPES.join(', ')})`
          : undefined,
    }),
  )
  .max(MAX_EVENT_FILTERS)
  .openapi({
    description: `Event types to deliver (at most ${MAX_EVENT_FILTERS}; duplicates are removed). Empty or absent: every type`,
  });

const Description = z
  .string()
  .trim()
  .max(500)
  // Written without the u flag so the OpenAPI pattern stays a plain ECMA-262 regex.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'description must not contain control characters')
  .openapi({ example: 'Production CRM' });

export const CreateWebhookEndpointBody = z
  .strictObject({ url: Url, events: Events.optional(), description: Description.optional() })
  .openapi('CreateWebhookEndpoint');

export const UpdateWebhookEndpointBody = z
  .strictObject({
    url: Url.optional(),
    events: Events.optional(),
    description: Description.nullable()
      .optional()
      .openapi({ description: 'null or an empty string clears it' }),
  })
  .refine((body) => Object.keys(body).length > 0, {
    error: 'provide at least one of url, events, description',
  })
  .openapi('UpdateWebhookEndpoint');

export const RotateSecretBody = z
  .strictObject({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .optional()
      .openapi({
        default: DEFAULT_OVERLAP_SECONDS,
        description:
          'How long the previous secret keeps signing next to the new one, so receivers can switch without ' +
          `dropping deliveries (0 to ${MAX_OVERLAP_SECONDS}; default ${DEFAULT_OVERLAP_SECONDS}, one day). 0 revokes it at once`,
      }),
  })
  .openapi('RotateWebhookSecret');

/** The create-time SSRF check; a refusal is a 400 on body.url with the guard's reason. Returns the URL to store. */
export function acceptWebhookUrl(raw: string, deps: GatewayDeps): string {
  const check = checkWebhookUrl(raw, { allowPrivate: deps.config.webhookAllowPrivateTargets });
  if (!check.ok) {
    throw new ApiError('validation_failed', `invalid request: body.url: ${check.reason}`, {
      issues: [{ path: 'body.url', message: check.reason }],
    });
  }
  return check.url.href;
}

/** Order-preserving; an empty list means every type. */
export function uniqueEvents(events: readonly EventType[] | undefined): EventType[] {
  return [...new Set(events ?? [])];
}

export function emptyToNull(description: string | null | undefined): string | null {
  return description ? description : null;
}

/** `whsec_` + base64 of 32 random bytes, as Standard Webhooks prescribes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** What audit metadata may say about a URL: its origin. Paths and query strings can carry tokens. */
export function urlOrigin(url: string): string {
  return new URL(url).origin;
}

export function toWebhookEndpointJson(
  row: WebhookEndpoint,
  now: Date = new Date(),
): z.infer<typeof WebhookEndpointSchema> {
  const previousStillSigns =
    row.previousSecretSealed !== null &&
    row.previousSecretExpiresAt !== null &&
    row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as EventType[],
    status: row.disabledAt ? 'disabled' : row.pausedAt ? 'paused' : 'active',
    paused_at: iso(row.pausedAt),
    disabled_at: iso(row.disabledAt),
    disabled_reason: row.disabledReason,
    previous_secret_expires_at: previousStillSigns ? iso(row.previousSecretExpiresAt) : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
