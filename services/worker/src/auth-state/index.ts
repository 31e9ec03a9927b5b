// Durable Baileys auth-state for the worker: one store per instance under DATA_DIR/sessions/<instanceId>/.
import { join } from 'node:path';

export { AuthStateUnreadableError } from './errors.ts';
export { META_FILE, readSessionMeta, type SessionMeta, writeSessionMeta } from './session-meta.ts';
export {
  type AuthStore,
  type AuthStoreOptions,
  authStoreExists,
  listStoredSessions,
  openAuthStore,
  sweepWipedSessions,
  wipeAuthStore,
} from './store.ts';

const INSTANCE_DIR_NAME = /^[A-Za-z0-9_-]{1,128}$/;

export function sessionsDir(dataDir: string): string {
  return join(dataDir, 'sessions');
}

/** DATA_DIR/sessions/<instanceId>; refuses ids that could escape the sessions directory. */
export function sessionDir(dataDir: string, instanceId: string): string {
  if (!INSTANCE_DIR_NAME.test(instanceId))
    throw new RangeError(`not a valid instance id for a path: ${instanceId}`);
  return join(sessionsDir(dataDir), instanceId);
}
