// One call to a running simulator's control API, for the tests that drive it over HTTP.
import type { Simulator } from '../src/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in each test
export type Json = any;

/** `body`: an object is sent as JSON, a string as it is (to send malformed JSON). */
export async function controlCall(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${sim.controlUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }),
  });
  return { status: res.status, json: await res.json() };
}
