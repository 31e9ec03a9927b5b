// Operator actions (used by the admin CLI and by tests): customers, API keys, rate-limit overrides.
// Each writes its audit row in the same transaction as the change.
import {
  type Customer,
  type Database,
  insertApiKey,
  insertCustomer,
  recordAudit,
  revokeApiKey as revokeApiKeyRow,
  setCustomerRateLimit,
} from '@whatisup/db';
import { generateApiKey } from '../auth/api-key-format.ts';

const admin = { actorType: 'admin' as const, actorId: null, correlationId: null };

export async function createCustomer(db: Database, name: string): Promise<Customer> {
  return db.transaction(async (tx) => {
    const customer = await insertCustomer(tx, { name });
    await recordAudit(tx, {
      ...admin,
      customerId: customer.id,
      action: 'customer.create',
      targetType: 'customer',
      targetId: customer.id,
      metadata: { name },
    });
    return customer;
  });
}

/** Returns the key in the clear: the only time it exists outside the caller's hands. */
export async function createApiKey(
  db: Database,
  customerId: string,
  name: string,
): Promise<{ id: string; key: string; prefix: string }> {
  const generated = generateApiKey();
  return db.transaction(async (tx) => {
    const row = await insertApiKey(tx, {
      customerId,
      name,
      prefix: generated.prefix,
      keyHash: generated.hash,
    });
    await recordAudit(tx, {
      ...admin,
      customerId,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: row.id,
      metadata: { name, prefix: generated.prefix },
    });
    return { id: row.id, key: generated.key, prefix: generated.prefix };
  });
}

export async function revokeApiKey(db: Database, keyId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const row = await revokeApiKeyRow(tx, keyId);
    if (!row) return false;
    await recordAudit(tx, {
      ...admin,
      customerId: row.customerId,
      action: 'api_key.revoke',
      targetType: 'api_key',
      targetId: row.id,
      metadata: { prefix: row.prefix },
    });
    return true;
  });
}

export async function setRateLimit(
  db: Database,
  customerId: string,
  limit: { burst: number | null; perSecond: number | null },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const row = await setCustomerRateLimit(tx, customerId, limit);
    if (!row) return false;
    await recordAudit(tx, {
      ...admin,
      customerId,
      action: 'customer.rate_limit.set',
      targetType: 'customer',
      targetId: customerId,
      metadata: { burst: limit.burst, per_second: limit.perSecond },
    });
    return true;
  });
}
