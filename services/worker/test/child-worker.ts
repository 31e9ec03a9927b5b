// Runs the worker's real entry point as a child process (simulator mode through the trust hook), so tests
// can SIGKILL it and start it again on the same DATA_DIR.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '@whatisup/wa-sim';
import { afterAll, beforeAll } from 'vitest';
import { childWorkerEnv, startWorld, type WorkerWorld } from './harness.ts';

const WORKER_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface ChildWorker {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnWorker(
  sim: Simulator,
  env: Record<string, string>,
  uid?: number,
): Promise<ChildWorker> {
  const child = spawn(process.execPath, ['--import', '@whatisup/wa-sim/trust', 'src/main.ts'], {
    cwd: WORKER_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      WA_SIM_ROOT_PUBLIC_KEY: sim.rootPublicKey.toString('base64'),
      ...(sim.mediaCaPem ? { WA_SIM_CA_PEM: sim.mediaCaPem } : {}),
      LOG_LEVEL: 'info',
      BAILEYS_LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr!.on('data', (chunk) => {
    output += String(chunk);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 20_000);
    const check = () => {
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    output: () => output,
    kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}

/** The current file's world, in a file that called childWorld(). */
export let world: WorkerWorld;
const children: ChildWorker[] = [];

/**
 * Registers the calling file's beforeAll/afterAll: a world for its tests, closed after the worker processes
 * spawned with spawnChild have been killed.
 */
export function childWorld(): void {
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    for (const child of children.splice(0)) await child.kill();
    await world?.close();
  });
}

/** The worker's entry point as `workerId` on the world's NATS prefix, data root and wa-sim; killed after the file. */
export async function spawnChild(
  workerId: string,
  overrides: Record<string, string> = {},
  uid?: number,
): Promise<ChildWorker> {
  const child = await spawnWorker(world.sim, { ...childWorkerEnv(world, workerId), ...overrides }, uid);
  children.push(child);
  return child;
}
