// `pnpm bench` runs every benchmark; `pnpm bench <name>… [--flags]` the named ones, passing them the flags.
// Each benchmark is a script, test/bench/<name>.ts, run as a child process so its servers and data never
// outlive it. Adding a benchmark is adding its name here.
import { spawnSync } from 'node:child_process';

const BENCHMARKS = ['gateway', 'auth-state', 'worker', 'delivery', 'db'];

const args = process.argv.slice(2);
const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
const names = firstFlag === -1 ? args : args.slice(0, firstFlag);
const flags = firstFlag === -1 ? [] : args.slice(firstFlag);
const unknown = names.filter((name) => !BENCHMARKS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (known: ${BENCHMARKS.join(', ')})`);
  process.exit(2);
}

let failed = false;
for (const name of names.length > 0 ? names : BENCHMARKS) {
  const script = new URL(`./${name}.ts`, import.meta.url).pathname;
  const { status } = spawnSync(process.execPath, [script, ...flags], { stdio: 'inherit' });
  if (status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
