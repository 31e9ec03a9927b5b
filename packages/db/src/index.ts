export {
  createDb,
  createEmbeddedDb,
  type Database,
  type DbHandle,
  type DbOptions,
  EMBEDDED_DB_SUBDIR,
  type EmbeddedDbHandle,
  type EmbeddedDbOptions,
  type Executor,
  openDatabase,
  type PostgresDbHandle,
  queryRows,
  type Tx,
} from './client.ts';
export { DataDirLockedError } from './data-dir-lock.ts';
export { ensureDatabase, MIGRATIONS_FOLDER, runMigrations } from './migrate.ts';
export * from './queries/api-keys.ts';
export * from './queries/audit-events.ts';
export * from './queries/customers.ts';
export * from './queries/delivery-dispatch.ts';
export * from './queries/instances.ts';
export * from './queries/messages.ts';
export type { Page } from './queries/pagination.ts';
export * from './queries/projection.ts';
export * from './queries/webhook-deliveries.ts';
export * from './queries/webhook-endpoints.ts';
export * as schema from './schema/index.ts';
export { createSecretBox, parseSecretsKey, type SecretBox } from './secret-box.ts';
