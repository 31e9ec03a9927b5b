// Header injection and request smuggling over a real socket, where a client can send bytes a fetch Request
// refuses to carry: CR, LF and NUL in header values and in the request target, folded headers, conflicting
// lengths. The server must never answer 5xx, never echo an injected line into its own headers, and stay up.
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import fc from 'fast-check';
import { afterAll, expect, it } from 'vitest';
import { HostileGateway, SEED } from './hostile-gateway.ts';

fc.configureGlobal({ seed: SEED, numRuns: 60 });

const h = await HostileGateway.start();
const customer = await h.customer('Acme');
const estate = await h.estate(customer);
const server = serve({ fetch: h.gw.app.fetch, port: 0, hostname: '127.0.0.1' });
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;

afterAll(async () => {
  h.expectCleanLogs();
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

/** Sends raw bytes and returns the response head (status and headers), or the empty string on a reset. */
function raw(bytes: string): Promise<{ status: number; headers: string[]; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(bytes.slice(0, 200))}`));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const head = data.split('\r\n\r\n')[0] ?? '';
      const [statusLine = '', ...headers] = head.split('\r\n');
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, head });
    });
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

const auth = `Authorization: Bearer ${customer.key}`;
const INJECTIONS = [
  'abc\r\nX-Injected: 1',
  'abc\rX-Injected: 1',
  'abc\nX-Injected: 1',
  'abc\r\n\r\n<html>injected</html>',
  'abc\u0000X-Injected: 1',
  'abc\r\n X-Injected: 1',
  'abc%0d%0aX-Injected:%201',
  'abc\u2028X-Injected: 1',
];

const requestWith = fc.oneof(
  // A CR/LF/NUL payload in a header the gateway reads (and, for the correlation id, echoes).
  fc
    .tuple(
      fc.constantFrom(
        'X-Correlation-Id',
        'Idempotency-Key',
        'Last-Event-ID',
        'Content-Type',
        'Authorization',
      ),
      fc.constantFrom(...INJECTIONS),
    )
    .map(
      ([name, value]) =>
        `POST /v1/instances/${estate.instance}/messages HTTP/1.1\r\nHost: x\r\n${name === 'Authorization' ? '' : `${auth}\r\n`}${name}: ${value}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
    ),
  // The same in the request target.
  fc
    .constantFrom(...INJECTIONS)
    .map((value) => `GET /v1/instances/${value}?x=${value} HTTP/1.1\r\nHost: x\r\n${auth}\r\n\r\n`),
  // Smuggling shapes: both length headers, two differing lengths, an obs-folded header.
  fc.constantFrom(
    `POST /v1/instances HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/instances HTTP/1.1\r\nX-Injected: 1\r\n\r\n`,
    `POST /v1/instances HTTP/1.1\r\nHost: x\r\n${auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}`,
    `GET /v1/instances HTTP/1.1\r\nHost: x\r\n${auth}\r\nX-Correlation-Id: abc\r\n X-Injected: 1\r\n\r\n`,
    `GET /v1/instances HTTP/1.1\r\nHost: x\r\n${auth}\r\nTransfer-Encoding: chunked, identity\r\n\r\n`,
    `GET /v1/instances HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer ${customer.key}\r\n\r\n`,
  ),
);

it('never answers 5xx to injected CR/LF/NUL, never reflects an injected line, and keeps serving', async () => {
  await fc.assert(
    fc.asyncProperty(requestWith, async (bytes) => {
      const response = await raw(bytes);
      const label = `${JSON.stringify(bytes.slice(0, 160))} → ${response.head.slice(0, 300)}`;
      expect(response.status, label).toBeGreaterThanOrEqual(200);
      expect(response.status, label).toBeLessThan(500);
      for (const header of response.headers) {
        expect(header.toLowerCase(), label).not.toMatch(/^x-injected|injected/);
        expect(header, label).not.toContain(customer.key);
      }
      const correlation = response.headers.find((header) =>
        header.toLowerCase().startsWith('x-correlation-id:'),
      );
      if (correlation)
        expect(correlation.slice('x-correlation-id:'.length).trim(), label).toMatch(
          /^[A-Za-z0-9._:-]{1,128}$/,
        );
    }),
  );
  const healthy = await raw(`GET /v1/instances HTTP/1.1\r\nHost: x\r\n${auth}\r\nConnection: close\r\n\r\n`);
  expect(healthy.status).toBe(200);
});
