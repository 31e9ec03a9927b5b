import { newId } from '@whatisup/contracts';
import { and, desc, eq, gte, lt, lte } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { auditEvents } from '../schema/index.ts';
import { type Page, toPage } from './pagination.ts';

export type AuditEvent = typeof auditEvents.$inferSelect;

export interface AuditEntry {
  customerId: string;
  actorType: 'api_key' | 'admin' | 'system';
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  correlationId: string | null;
  metadata?: Record<string, unknown>;
}

export async function recordAudit(db: Executor, entry: AuditEntry): Promise<AuditEvent> {
  const [row] = await db
    .insert(auditEvents)
    .values({ id: newId('auditEvent'), ...entry, metadata: entry.metadata ?? {} })
    .returning();
  return row!;
}

export interface AuditFilter {
  action?: string | undefined;
  targetId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Newest first: the cursor is the last (oldest) id of the previous page. */
  before?: string | undefined;
  limit: number;
}

export async function listAuditEvents(
  db: Executor,
  customerId: string,
  filter: AuditFilter,
): Promise<Page<AuditEvent>> {
  const rows = await db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.customerId, customerId),
        filter.action ? eq(auditEvents.action, filter.action) : undefined,
        filter.targetId ? eq(auditEvents.targetId, filter.targetId) : undefined,
        filter.since ? gte(auditEvents.createdAt, filter.since) : undefined,
        filter.until ? lte(auditEvents.createdAt, filter.until) : undefined,
        filter.before ? lt(auditEvents.id, filter.before) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit);
}
