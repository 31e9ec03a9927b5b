// What every service process does the same way around its own start and stop: read its configuration or
// exit with the reason, serve its HTTP app, and stop cleanly on SIGTERM/SIGINT within a bound.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** Parses configuration with `schema`; an invalid one throws a message naming every bad variable. */
export function parseConfigWith<S extends z.ZodType>(schema: S, source: unknown): z.output<S> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Runs `parse` (environment parsing, key decoding); on an error prints its message and exits 1. */
export function configOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

/**
 * On the first SIGTERM or SIGINT runs `stop` and exits 0; exits 1 if it has not finished within `timeoutMs`
 * (Kubernetes sends SIGKILL after its grace period anyway: this exits first, with a log line that says so).
 */
export function stopOnSignals(logger: Logger, timeoutMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown timed out, exiting');
      process.exit(1);
    }, timeoutMs).unref();
    try {
      await stop();
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

export interface Listening {
  server: Server;
  /** The port bound (the one asked for, or the one the OS chose for 0). */
  port: number;
  /** Where this machine reaches it: the wildcard addresses become 127.0.0.1. */
  url: string;
  /** Stops accepting connections and waits for the open ones to finish. */
  close(): Promise<void>;
}

/** Serves a Hono app's `fetch` on `host:port`; resolves once listening, rejects if it cannot bind. */
export function listen(
  fetch: Parameters<typeof serve>[0]['fetch'],
  port: number,
  host: string,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }, () => {
      const bound = (server.address() as AddressInfo).port;
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      resolve({
        server,
        port: bound,
        url: `http://${reachable}:${bound}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    }) as Server;
    server.once('error', reject);
  });
}
