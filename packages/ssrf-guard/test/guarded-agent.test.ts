import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import net from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConnectedSocket } from '../src/guarded-connector.ts';
import type { GuardedConnectorOptions } from '../src/index.ts';
import { createGuardedConnector, createGuardedLookup } from '../src/index.ts';

// A real receiver on 127.0.0.1. It counts TCP connections, not requests: a refusal must happen before
// connecting (lookup or literal check), not merely before sending.
let server: http.Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  server.on('connection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

async function post(url: string, opts: GuardedConnectorOptions) {
  const agent = new Agent({ connect: createGuardedConnector(opts) });
  try {
    const response = await request(url, { method: 'POST', body: '{}', dispatcher: agent });
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await agent.close();
  }
}

describe('guarded undici agent: happy path', () => {
  it('posts to localhost with allowPrivate', async () => {
    const before = connections;
    expect(await post(`http://localhost:${port}/hook`, { allowPrivate: true })).toEqual({
      status: 200,
      body: 'ok',
    });
    expect(connections).toBe(before + 1);
  });

  it('posts to a literal 127.0.0.1 with allowPrivate', async () => {
    expect(await post(`http://127.0.0.1:${port}/hook`, { allowPrivate: true })).toMatchObject({
      status: 200,
    });
  });

  it('posts through a resolver that maps a name to the receiver, with allowPrivate', async () => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    expect(await post(`http://hooks.example.com:${port}/`, { allowPrivate: true, resolve })).toMatchObject({
      status: 200,
    });
  });
});

describe('guarded undici agent: security', () => {
  it.each([
    ['the name localhost', () => `http://localhost:${port}/hook`],
    ['localhost over https (the TLS path uses the lookup too)', () => `https://localhost:${port}/hook`],
    ['a literal 127.0.0.1, which never goes through lookup', () => `http://127.0.0.1:${port}/hook`],
    ['a literal [::ffff:127.0.0.1]', () => `http://[::ffff:127.0.0.1]:${port}/hook`],
  ])('refuses %s before connecting', async (_, url) => {
    const before = connections;
    await expect(post(url(), {})).rejects.toMatchObject({
      code: 'ERR_SSRF_BLOCKED',
      message: expect.stringMatching(/not a public address \(loopback\)$/),
    });
    expect(connections).toBe(before);
  });

  it('refuses a public-looking name that resolves to 127.0.0.1 at send time (DNS rebinding)', async () => {
    const before = connections;
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(post(`http://hooks.example.com:${port}/`, { resolve })).rejects.toMatchObject({
      code: 'ERR_SSRF_BLOCKED',
      message: 'refusing to connect to hooks.example.com (127.0.0.1): not a public address (loopback)',
    });
    expect(connections).toBe(before);
  });

  it('refuses an Agent configured with a unix socket path', async () => {
    const agent = new Agent({ socketPath: '/tmp/receiver.sock', connect: createGuardedConnector() });
    await expect(request('http://hooks.example.com/', { dispatcher: agent })).rejects.toThrow(/unix sockets/);
    await agent.close();
  });

  it.each([
    ['autoSelectFamily, which asks for all addresses', { autoSelectFamily: true }, true],
    ['a fixed family, which asks for one address', { autoSelectFamily: false, family: 4 }, undefined],
  ] as const)('serves net.connect with %s', async (_, connectOptions, expectAll) => {
    const connect = (allowPrivate: boolean) => {
      const guarded = createGuardedLookup({ allowPrivate });
      const asked: (boolean | undefined)[] = [];
      const lookup: LookupFunction = (hostname, options, callback) => {
        asked.push(options.all);
        guarded(hostname, options, callback);
      };
      const socket = net.connect({ host: 'localhost', port, ...connectOptions, lookup });
      return new Promise<Error | null>((resolve) => {
        socket.once('connect', () => resolve(null)).once('error', resolve);
      }).then((outcome) => {
        socket.destroy();
        expect(asked).toEqual([expectAll]);
        return outcome;
      });
    };
    const before = connections;
    expect(await connect(false)).toMatchObject({ code: 'ERR_SSRF_BLOCKED', hostname: 'localhost' });
    expect(connections).toBe(before);
    expect(await connect(true)).toBeNull();
  });

  it('checks the address a connected socket actually reached', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    try {
      expect(checkConnectedSocket(socket, 'hooks.example.com')).toMatchObject({
        code: 'ERR_SSRF_BLOCKED',
        address: '127.0.0.1',
        range: 'loopback',
      });
    } finally {
      socket.destroy();
    }
  });
});
