// First start on an empty database: create a first customer and an API key for it, and hand the key over
// once (it is stored only as a hash). Later starts find a customer and create nothing.
import { type Database, schema } from '@whatisup/db';
import { createApiKey, createCustomer } from '../../gateway/src/admin/operations.ts';

export interface FirstRun {
  customerId: string;
  apiKey: string;
}

export async function ensureFirstCustomer(db: Database): Promise<FirstRun | null> {
  const existing = await db.select({ id: schema.customers.id }).from(schema.customers).limit(1);
  if (existing.length > 0) return null;
  const customer = await createCustomer(db, 'My company');
  const key = await createApiKey(db, customer.id, 'first key (created on first start)');
  return { customerId: customer.id, apiKey: key.key };
}
