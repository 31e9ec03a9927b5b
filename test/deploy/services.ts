// What test/deploy checks manifests against: each service's start command, config schema, HTTP routes and
// Prometheus metrics, read from the code itself.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSchema as deliveryEnv } from '../../services/delivery/src/env.ts';
import { createHttpApp } from '../../services/delivery/src/http.ts';
import { envSchema as gatewayEnv } from '../../services/gateway/src/env.ts';
import { createHealthRoutes } from '../../services/gateway/src/routes/health.ts';
import { envSchema as workerEnv } from '../../services/worker/src/env.ts';
import { createWorkerHttp } from '../../services/worker/src/http.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export type Service = 'gateway' | 'worker' | 'delivery' | 'migrate';

const COMMANDS: Record<Service, string[]> = {
  gateway: ['node', 'services/gateway/src/main.ts'],
  worker: ['node', 'services/worker/src/main.ts'],
  delivery: ['node', 'services/delivery/src/main.ts'],
  migrate: ['node', 'packages/db/src/migrate-cli.ts'],
};
const schemas = { gateway: gatewayEnv, worker: workerEnv, delivery: deliveryEnv };

export function commandOf(service: Service): string[] {
  return COMMANDS[service];
}

/** Which service a container or compose command runs. */
export function serviceOf(args: string[] | undefined): Service {
  const script = (args ?? []).join(' ');
  if (script.includes('worker-entrypoint.sh')) return 'worker';
  const found = (Object.keys(COMMANDS) as Service[]).find((s) => script.endsWith(COMMANDS[s].join(' ')));
  if (!found) throw new Error(`unknown command: ${script}`);
  return found;
}

/** Variables the service reads: its zod schema's keys (migrate-cli reads process.env directly). */
export function envNames(service: Service): Set<string> {
  if (service === 'migrate') {
    const source = readFileSync(join(root, 'packages/db/src/migrate-cli.ts'), 'utf8');
    return new Set([...source.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1] as string));
  }
  return new Set(Object.keys(schemas[service].shape));
}

export function defaultPort(service: Service): number {
  if (service === 'migrate') throw new Error('migrate listens on nothing');
  return schemas[service].shape.PORT.parse(undefined);
}

export function shutdownDefaultMs(service: Service): number {
  if (service === 'migrate') throw new Error('migrate has no shutdown bound');
  return schemas[service].shape.SHUTDOWN_TIMEOUT_MS.parse(undefined);
}

/** GET routes of the service's HTTP surface (health, readiness, metrics), from the apps themselves. */
export function httpRoutes(service: Service): string[] {
  const unused = {} as never;
  const app =
    service === 'gateway'
      ? createHealthRoutes(unused)
      : service === 'worker'
        ? createWorkerHttp(unused)
        : service === 'delivery'
          ? createHttpApp(unused)
          : undefined;
  if (!app) return [];
  if (service === 'gateway') {
    // The health routes are mounted at the root of the gateway's app.
    const appSource = readFileSync(join(root, 'services/gateway/src/app.ts'), 'utf8');
    if (!/app\.route\('\/', createHealthRoutes\(deps[,)]/.test(appSource)) return [];
  }
  return app.routes.filter((r) => r.method === 'GET').map((r) => r.path);
}

/** Every Prometheus metric name the services define. */
export function definedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const service of ['worker', 'delivery', 'gateway']) {
    let source = '';
    try {
      source = readFileSync(join(root, `services/${service}/src/metrics.ts`), 'utf8');
    } catch {
      continue;
    }
    for (const m of source.matchAll(/name: '(whatisup_[a-z_]+)'/g)) names.add(m[1] as string);
  }
  return names;
}
