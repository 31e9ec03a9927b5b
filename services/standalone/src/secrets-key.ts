// The key that seals webhook secrets. Cluster deployments pass SECRETS_KEY; on one machine with no
// configuration the first start generates one into DATA_DIR/secrets.key (0600) and later starts read it back,
// so stored webhook secrets stay readable across restarts.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SecretsKeySource {
  key: string;
  /** Where it came from: the environment, a file created now, or a file created earlier. */
  origin: 'env' | 'created' | 'file';
  path?: string;
}

export async function loadOrCreateSecretsKey(
  fromEnv: string | undefined,
  dataDir: string,
): Promise<SecretsKeySource> {
  if (fromEnv) return { key: fromEnv, origin: 'env' };
  const path = join(dataDir, 'secrets.key');
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (!key)
      throw new Error(
        `${path} is empty: restore it from a backup, or remove it only if no webhook endpoint exists yet`,
      );
    return { key, origin: 'file', path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64');
  // 'wx': never overwrite a key another start wrote in the meantime.
  await writeFile(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { key, origin: 'created', path };
}
