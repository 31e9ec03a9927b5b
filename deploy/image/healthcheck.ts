// The image's HEALTHCHECK: GET /healthz on the port of the service this container runs (PORT, else that
// service's default, found from the command line tini runs). One-shot commands (migrate, admin) are healthy.
import { readFileSync } from 'node:fs';

/** Default PORT of each service's env.ts; test/deploy checks these against the schemas. */
export const DEFAULT_PORTS: Record<string, number> = { gateway: 8080, delivery: 8081, worker: 8082 };

export function servicePort(env: NodeJS.ProcessEnv, commandLine: string): number | undefined {
  if (env.PORT) return Number(env.PORT);
  const service = /services\/(gateway|delivery|worker)\/|worker-entrypoint/.exec(commandLine);
  if (!service) return undefined;
  return DEFAULT_PORTS[service[1] ?? 'worker'];
}

if (import.meta.main) {
  const commandLine = readFileSync('/proc/1/cmdline', 'utf8').replaceAll('\0', ' ');
  const port = servicePort(process.env, commandLine);
  if (port === undefined) process.exit(0);
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) });
    process.exit(response.ok ? 0 : 1);
  } catch {
    process.exit(1);
  }
}
