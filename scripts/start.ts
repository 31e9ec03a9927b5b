// `pnpm start`: the whole product on this machine — gateway (8080), delivery (8081) and one session worker
// (8082) as child processes against the Postgres, Redis and NATS named in .env. Logs are prefixed with the
// service name; SIGINT/SIGTERM stops all three gracefully; if one dies, the others are stopped too.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const services = [
  { name: 'gateway', entry: 'services/gateway/src/main.ts' },
  { name: 'delivery', entry: 'services/delivery/src/main.ts' },
  { name: 'worker', entry: 'services/worker/src/main.ts' },
];

const children = new Map<string, ChildProcess>();
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => process.exit(code), 30_000);
  force.unref();
  const check = () => {
    if ([...children.values()].every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(code);
  };
  for (const child of children.values()) child.once('exit', check);
  check();
}

function pipe(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WritableStream): void {
  let buffered = '';
  stream.on('data', (chunk) => {
    buffered += String(chunk);
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) out.write(`${name.padEnd(8)} | ${line}\n`);
  });
}

// The worker waits for the gateway's migrations only through NATS; start the gateway first so the database
// exists and is migrated before the delivery service's own (advisory-locked) migration runs.
for (const service of services) {
  const child = spawn(process.execPath, ['--env-file-if-exists=.env', service.entry], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(service.name, child);
  pipe(service.name, child.stdout!, process.stdout);
  pipe(service.name, child.stderr!, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? code}); stopping the others`);
      stopAll(code || 1);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
}
console.log('WhatIsUp is starting: API on http://127.0.0.1:8080 (docs at /docs), Ctrl+C stops everything');

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
