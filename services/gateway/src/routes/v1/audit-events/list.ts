import { createRoute, z } from '@hono/zod-openapi';
import { type AuditEvent, listAuditEvents } from '@whatisup/db';
import type { GatewayDeps } from '../../../deps.ts';
import { cursorQuery, DateTimeQuery, errorResponses, LimitQuery, noNul, Timestamp } from '../common.ts';
import type { V1App } from '../router.ts';

const AuditEventSchema = z
  .object({
    id: z.string(),
    action: z.string().openapi({ example: 'instance.create' }),
    actor: z.object({ type: z.enum(['api_key', 'admin', 'system']), id: z.string().nullable() }),
    target: z.object({ type: z.string(), id: z.string() }),
    correlation_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
  })
  .openapi('AuditEvent');

const route = createRoute({
  method: 'get',
  path: '/audit-events',
  tags: ['Audit log'],
  summary: 'List audit events, newest first',
  request: {
    query: z.strictObject({
      action: z
        .string()
        .max(100)
        .refine(noNul, { message: 'must not contain NUL' })
        .optional()
        .openapi({ example: 'instance.create' }),
      target_id: z
        .string()
        .max(64)
        .refine(noNul, { message: 'must not contain NUL' })
        .optional()
        .openapi({ description: 'Only events about this object' }),
      since: DateTimeQuery().optional().openapi({ description: 'Inclusive lower bound (RFC 3339)' }),
      until: DateTimeQuery().optional().openapi({ description: 'Inclusive upper bound (RFC 3339)' }),
      limit: LimitQuery,
      cursor: cursorQuery('auditEvent'),
    }),
  },
  responses: {
    200: {
      description: 'A page of audit events',
      content: {
        'application/json': {
          schema: z.object({ data: z.array(AuditEventSchema), next_cursor: z.string().nullable() }),
        },
      },
    },
    ...errorResponses(400),
  },
});

function toJson(row: AuditEvent): z.infer<typeof AuditEventSchema> {
  return {
    id: row.id,
    action: row.action,
    actor: { type: row.actorType as 'api_key' | 'admin' | 'system', id: row.actorId },
    target: { type: row.targetType, id: row.targetId },
    correlation_id: row.correlationId,
    metadata: row.metadata as Record<string, unknown>,
    created_at: row.createdAt.toISOString(),
  };
}

export function registerListAuditEvents(app: V1App, deps: GatewayDeps): void {
  app.openapi(route, async (c) => {
    const q = c.req.valid('query');
    const page = await listAuditEvents(deps.db, c.get('customerId'), {
      action: q.action,
      targetId: q.target_id,
      since: q.since ? new Date(q.since) : undefined,
      until: q.until ? new Date(q.until) : undefined,
      before: q.cursor,
      limit: q.limit,
    });
    return c.json({ data: page.items.map(toJson), next_cursor: page.nextCursor }, 200);
  });
}
