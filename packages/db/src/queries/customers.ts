import { newId } from '@whatisup/contracts';
import { eq } from 'drizzle-orm';
import type { Executor } from '../client.ts';
import { customers } from '../schema/index.ts';

export type Customer = typeof customers.$inferSelect;

export async function insertCustomer(db: Executor, input: { name: string }): Promise<Customer> {
  const [row] = await db
    .insert(customers)
    .values({ id: newId('customer'), name: input.name })
    .returning();
  return row!;
}

export async function findCustomer(db: Executor, id: string): Promise<Customer | undefined> {
  const [row] = await db.select().from(customers).where(eq(customers.id, id));
  return row;
}

/** null clears an override (back to the deployment default). */
export async function setCustomerRateLimit(
  db: Executor,
  id: string,
  limit: { burst: number | null; perSecond: number | null },
): Promise<Customer | undefined> {
  const [row] = await db
    .update(customers)
    .set({ rateLimitBurst: limit.burst, rateLimitPerSecond: limit.perSecond, updatedAt: new Date() })
    .where(eq(customers.id, id))
    .returning();
  return row;
}
