// Operator tool, in the image: `node /app/deploy/image/worker-drain.ts <worker-id>` sends the drain verb
// (<NATS_PREFIX>.worker.<id>.drain) to one session worker and prints its reply. A draining worker takes no new
// instances and keeps serving the ones it holds; the flag lasts until that worker process restarts.
// Run it where NATS_URL and NATS_PREFIX are set and NATS is reachable, e.g. `kubectl exec worker-0 -- node …`.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const workerId = process.argv[2];
if (!workerId || !/^[A-Za-z0-9_-]{1,64}$/.test(workerId)) {
  console.error(
    'usage: node deploy/image/worker-drain.ts <worker-id>   (the worker pod name, e.g. worker-3)',
  );
  process.exit(2);
}
// The bus package and its nats client are dependencies of the worker service, so resolve them from there.
const fromWorker = createRequire(new URL('../../services/worker/package.json', import.meta.url));
const bus: typeof import('@whatisup/bus') = await import(
  pathToFileURL(fromWorker.resolve('@whatisup/bus')).href
);
const nats = await bus.connectNatsBus({
  url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
  prefix: process.env.NATS_PREFIX ?? 'wiu',
  name: 'whatisup-worker-drain',
});
try {
  const reply = await nats.nc.request(nats.subjects.worker(workerId, 'drain'), new Uint8Array(), {
    timeout: 5_000,
  });
  console.log(new TextDecoder().decode(reply.data));
} catch (error) {
  console.error(`no answer from worker ${workerId}: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await nats.close();
}
