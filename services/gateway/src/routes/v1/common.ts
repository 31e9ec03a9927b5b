// Schemas shared by the v1 routes: error body, pagination, path ids, timestamps.
import { z } from '@hono/zod-openapi';
import { type IdKind, INSTANCE_STATUSES, isId } from '@whatisup/contracts';
import { ERROR_STATUS, notFound } from '../../errors.ts';

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(
        Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]],
      ),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      instance_status: z.enum(INSTANCE_STATUSES).optional().openapi({
        description: "On errors about an instance that cannot do this now: the instance's status",
      }),
    }),
    correlation_id: z.string(),
  })
  .openapi('Error');

export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (code validation_failed, with field paths in error.issues)',
    401: 'Missing, invalid or revoked API key (code unauthorized)',
    404: 'No such object for this customer (code not_found)',
    409: 'Conflicts with an existing object (code conflict)',
    413: 'Request body too large (code payload_too_large)',
    415: 'Body is not JSON (code unsupported_media_type)',
    429: 'Rate limit exceeded (code rate_limited); see Retry-After',
    502: 'The worker holding the instance answered with an unexpected error (code worker_error)',
    503: 'A dependency is unavailable; retry after Retry-After',
    504: 'The worker holding the instance did not answer in time (code command_timeout)',
  };
  return Object.fromEntries(
    [401, 429, ...statuses].map((status) => [
      status,
      {
        description: descriptions[status] ?? 'Error',
        content: { 'application/json': { schema: ErrorBodySchema } },
      },
    ]),
  );
}

export const LimitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(20)
  .openapi({ description: 'Page size, 1 to 100 (default 20)' });

export function cursorQuery(kind: IdKind) {
  return z
    .string()
    .max(64)
    .refine((value) => isId(kind, value), { message: 'cursor must be the next_cursor of a previous page' })
    .optional()
    .openapi({ description: 'The next_cursor of the previous page' });
}

/** Path ids are strings of any shape in the schema; a malformed one is simply not found (404). */
export const IdParam = (name: string, example: string) =>
  z.string().openapi({ param: { name, in: 'path' }, example });

export function requireId(kind: IdKind, value: string, what: string): string {
  if (!isId(kind, value)) throw notFound(what);
  return value;
}

/**
 * An RFC 3339 date-time in a query, between years 1 and 9999 once in UTC. An offset can carry a valid value
 * outside them (0000-01-01T00:00:00+14:00 is in year -1), which Postgres refuses and on which a JetStream
 * consumer never starts, so such a value is a 400 here rather than a failed query or a hung stream.
 */
export const DateTimeQuery = () =>
  z.iso.datetime({ offset: true }).refine(
    (value) => {
      const year = new Date(value).getUTCFullYear();
      return year >= 1 && year <= 9999;
    },
    { message: 'must be between years 1 and 9999 (UTC)' },
  );

/** Free text compared in SQL: Postgres text cannot hold NUL, so a NUL is a client error, not a failed query. */
export const noNul = (value: string) => !value.includes('\u0000');

export const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-28T10:00:00.000Z' });

export function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
