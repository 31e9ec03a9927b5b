import { newId } from '@whatisup/contracts';
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Executor } from '../client.ts';
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

export async function findInstance(
  db: Executor,
  customerId: string,
  id: string,
): Promise<Instance | undefined> {
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
