// meta.json next to a session's auth-state: who the instance belongs to, so a worker can resume every
// instance on its volume at boot without asking anyone.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from './atomic-file.ts';
import { AuthStateUnreadableError, isErrnoError } from './errors.ts';

export const META_FILE = 'meta.json';

export interface SessionMeta {
  instance_id: string;
  customer_id: string;
  /** ISO 8601 */
  created_at: string;
}

export async function writeSessionMeta(dir: string, meta: SessionMeta): Promise<void> {
  await ensureDir(dir);
  const { instance_id, customer_id, created_at } = meta;
  await writeFileAtomic(join(dir, META_FILE), JSON.stringify({ instance_id, customer_id, created_at }));
}

/** The session's meta, or null when it has none; unreadable or malformed meta throws AuthStateUnreadableError. */
export async function readSessionMeta(dir: string): Promise<SessionMeta | null> {
  const path = join(dir, META_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return null;
    throw AuthStateUnreadableError.fromOsError(path, error);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new AuthStateUnreadableError(path, 'corrupt', (error as Error).message, error);
  }
  const { instance_id, customer_id, created_at } = (meta ?? {}) as Partial<SessionMeta>;
  if (typeof instance_id !== 'string' || typeof customer_id !== 'string' || typeof created_at !== 'string') {
    throw new AuthStateUnreadableError(
      path,
      'corrupt',
      'meta.json lacks instance_id, customer_id or created_at',
    );
  }
  return { instance_id, customer_id, created_at };
}
