// PGlite is one process's database: a second process (or a second handle in this one) writing the same data
// directory would corrupt it, and PGlite does not refuse by itself. The lock is a file beside the directory
// holding the owner's pid; a lock whose process is gone (killed) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** Lock files this process holds (its own pid in a lock file is stale unless listed here, e.g. pid 1 in a container). */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  constructor(dataDir: string, lockPath: string, owner: string) {
    super(
      `the embedded database in ${dataDir} is already open (${owner}); PGlite serves one process at a time. ` +
        `Stop the other process, or use Postgres (DATABASE_URL) to run several. ` +
        `If no such process exists, delete ${lockPath}.`,
    );
    this.name = 'DataDirLockedError';
  }
}

export function lockPathFor(dataDir: string): string {
  return `${resolve(dataDir)}.lock`;
}

/** Takes the lock on `dataDir` or throws DataDirLockedError; returns the release. */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = lockPathFor(dataDir);
  if (held.has(lockPath)) throw new DataDirLockedError(dataDir, lockPath, 'by this process');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // No pid yet: another process is writing it this instant.
      const owner = Number.parseInt(readOwner(lockPath), 10);
      if (attempt > 0 || !Number.isSafeInteger(owner) || (owner !== process.pid && isAlive(owner)))
        throw new DataDirLockedError(
          dataDir,
          lockPath,
          Number.isSafeInteger(owner) ? `by process ${owner}` : 'by another process',
        );
      rmSync(lockPath, { force: true });
    }
  }
  held.add(lockPath);
  return () => {
    if (!held.delete(lockPath)) return;
    rmSync(lockPath, { force: true });
  };
}

function readOwner(lockPath: string): string {
  try {
    return readFileSync(lockPath, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
