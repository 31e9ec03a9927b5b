import { newId } from '@whatisup/contracts';
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client.ts';
import { preparedFor } from '../prepared.ts';
import { instances } from '../schema/index.ts';
import { type Page, toPage } from './pagination.ts';

export type Instance = typeof instances.$inferSelect;

export async function insertInstance(
  db: Executor,
  input: { customerId: string; name: string },
): Promise<Instance> {
  const [row] = await db
    .insert(instances)
    .values({ id: newId('instance'), customerId: input.customerId, name: input.name })
    .returning();
  return row!;
}

const findInstanceStatements = new WeakMap<Database, ReturnType<typeof prepareFindInstance>>();
function prepareFindInstance(db: Database) {
  return db
    .select()
    .from(instances)
    .where(
      and(eq(instances.customerId, sql.placeholder('customerId')), eq(instances.id, sql.placeholder('id'))),
    )
    .prepare('find_instance');
}

/** The API's hottest read: one instance of one customer (every instance route starts here). */
export async function findInstance(
  db: Executor,
  customerId: string,
  id: string,
): Promise<Instance | undefined> {
  const prepared = preparedFor(findInstanceStatements, db, prepareFindInstance);
  if (prepared) return (await prepared.execute({ customerId, id }))[0];
  const [row] = await db
    .select()
    .from(instances)
    .where(and(eq(instances.customerId, customerId), eq(instances.id, id)));
  return row;
}

export async function listInstances(
  db: Executor,
  customerId: string,
  opts: { limit: number; after?: string | undefined },
): Promise<Page<Instance>> {
  const rows = await db
    .select()
    .from(instances)
    .where(and(eq(instances.customerId, customerId), opts.after ? gt(instances.id, opts.after) : undefined))
    .orderBy(asc(instances.id))
    .limit(opts.limit + 1);
  return toPage(rows, opts.limit);
}

export async function deleteInstance(
  db: Executor,
  customerId: string,
  id: string,
): Promise<Instance | undefined> {
  const [row] = await db
    .delete(instances)
    .where(and(eq(instances.customerId, customerId), eq(instances.id, id)))
    .returning();
  return row;
}

/** The worker that took the instance at placement. */
export async function setInstanceWorker(
  db: Executor,
  id: string,
  workerId: string,
): Promise<Instance | undefined> {
  const [row] = await db
    .update(instances)
    .set({ workerId, updatedAt: new Date() })
    .where(eq(instances.id, id))
    .returning();
  return row;
}

/**
 * State a worker reported in a command reply. Applied only if no event was projected onto the row since
 * the caller read it (`lastEventId` unchanged): an event is newer than the reply and wins.
 */
export async function applyReportedInstanceState(
  db: Executor,
  id: string,
  readLastEventId: string | null,
  state: {
    status: string;
    phone: string | null;
    pushName: string | null;
    workerId: string;
    lastError: { code: string; message: string } | null;
  },
): Promise<Instance | undefined> {
  const [row] = await db
    .update(instances)
    .set({
      status: state.status,
      phone: state.phone,
      pushName: state.pushName,
      workerId: state.workerId,
      lastErrorCode: state.lastError?.code ?? null,
      lastError: state.lastError?.message ?? null,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(instances.id, id),
        readLastEventId === null ? isNull(instances.lastEventId) : eq(instances.lastEventId, readLastEventId),
      ),
    )
    .returning();
  return row;
}
