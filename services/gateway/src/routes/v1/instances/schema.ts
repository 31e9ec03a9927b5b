import { z } from '@hono/zod-openapi';
import { INSTANCE_STATUSES } from '@whatisup/contracts';
import type { Instance } from '@whatisup/db';
import { iso, Timestamp } from '../common.ts';

export const InstanceSchema = z
  .object({
    id: z.string().openapi({ example: 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k' }),
    name: z.string(),
    status: z.enum(INSTANCE_STATUSES),
    phone: z.string().nullable().openapi({ description: 'The linked number (MSISDN) once connected' }),
    push_name: z.string().nullable(),
    last_error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: 'Why the instance last stopped working, in plain words' }),
    created_at: Timestamp,
    updated_at: Timestamp,
    connected_at: Timestamp.nullable(),
  })
  .openapi('Instance');

export const CreateInstanceBody = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      // A refinement, not .regex(): OpenAPI patterns have no flags, and \p{…} needs the u flag.
      .refine((value) => !/[\p{Cc}\p{Cf}]/u.test(value), 'name must not contain control or format characters')
      .openapi({
        example: 'support-line',
        description: 'Unique per customer; no control or format characters',
      }),
  })
  .openapi('CreateInstance');

export function toInstanceJson(row: Instance): z.infer<typeof InstanceSchema> {
  return {
    id: row.id,
    name: row.name,
    status: row.status as z.infer<typeof InstanceSchema>['status'],
    phone: row.phone,
    push_name: row.pushName,
    last_error: row.lastErrorCode ? { code: row.lastErrorCode, message: row.lastError ?? '' } : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    connected_at: iso(row.connectedAt),
  };
}

/** An MSISDN as WhatsApp knows it: country code and number, digits only. */
export function msisdn(field: string) {
  const expected = `${field} must be the number with its country code, digits only: 8 to 15 digits, no "+", spaces, dashes or brackets (e.g. 4915123456789)`;
  return z
    .string({ error: expected })
    .max(64, expected)
    .regex(/^[1-9][0-9]{7,14}$/, expected)
    .openapi({
      example: '4915123456789',
      description: 'Country code and number, digits only (8 to 15 digits)',
    });
}
