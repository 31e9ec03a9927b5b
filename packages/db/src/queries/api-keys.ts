import { newId } from '@whatisup/contracts';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client.ts';
import { preparedFor } from '../prepared.ts';
import { apiKeys, customers } from '../schema/index.ts';

export type ApiKey = typeof apiKeys.$inferSelect;

export async function insertApiKey(
  db: Executor,
  input: { customerId: string; name: string; prefix: string; keyHash: string },
): Promise<ApiKey> {
  const [row] = await db
    .insert(apiKeys)
    .values({ id: newId('apiKey'), ...input })
    .returning();
  return row!;
}

export interface KeyPrincipal {
  keyId: string;
  customerId: string;
  revokedAt: Date | null;
  rateLimitBurst: number | null;
  rateLimitPerSecond: number | null;
}

/** The hot path of every authenticated request: one unique-index lookup joined to its customer. */
const findKeyStatements = new WeakMap<Database, ReturnType<typeof prepareFindKey>>();
function prepareFindKey(db: Database) {
  return db
    .select({
      keyId: apiKeys.id,
      customerId: apiKeys.customerId,
      revokedAt: apiKeys.revokedAt,
      rateLimitBurst: customers.rateLimitBurst,
      rateLimitPerSecond: customers.rateLimitPerSecond,
    })
    .from(apiKeys)
    .innerJoin(customers, eq(customers.id, apiKeys.customerId))
    .where(eq(apiKeys.keyHash, sql.placeholder('keyHash')))
    .prepare('find_key_principal');
}

export async function findKeyPrincipalByHash(
  db: Executor,
  keyHash: string,
): Promise<KeyPrincipal | undefined> {
  const prepared = preparedFor(findKeyStatements, db, prepareFindKey);
  if (prepared) return (await prepared.execute({ keyHash }))[0];
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      customerId: apiKeys.customerId,
      revokedAt: apiKeys.revokedAt,
      rateLimitBurst: customers.rateLimitBurst,
      rateLimitPerSecond: customers.rateLimitPerSecond,
    })
    .from(apiKeys)
    .innerJoin(customers, eq(customers.id, apiKeys.customerId))
    .where(eq(apiKeys.keyHash, keyHash));
  return row;
}

/** Records use at most once a minute per key, so authentication does not write on every request. */
export async function touchApiKey(db: Executor, keyId: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, keyId),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '60 seconds'`)),
      ),
    );
}

export async function revokeApiKey(db: Executor, keyId: string): Promise<ApiKey | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.id, keyId))
    .returning();
  return row;
}

export async function listApiKeys(db: Executor, customerId: string): Promise<ApiKey[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.customerId, customerId)).orderBy(apiKeys.id);
}

export async function findApiKey(db: Executor, keyId: string): Promise<ApiKey | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId));
  return row;
}
