// Hot-path queries as named prepared statements: the SQL is built once per pool and Postgres plans it once
// per connection. Only for the plain pool; inside a transaction the queries run unprepared.
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database, Executor } from './client.ts';

export function preparedFor<T>(
  cache: WeakMap<Database, T>,
  db: Executor,
  build: (db: Database) => T,
): T | undefined {
  if (db instanceof PgTransaction) return undefined;
  let prepared = cache.get(db as Database);
  if (!prepared) {
    prepared = build(db as Database);
    cache.set(db as Database, prepared);
  }
  return prepared;
}
