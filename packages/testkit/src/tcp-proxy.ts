// A TCP proxy in front of a real server, so that a test can make the server go away for one client without
// touching the machine's shared server: `refuse` drops every connection and refuses new ones (the server is
// down), `stall` keeps connections up with nothing moving either way (a partition, as TCP sees it), `open`
// passes everything through again.
import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from 'node:net';

export type ProxyMode = 'open' | 'refuse' | 'stall';

export interface TcpProxy {
  port: number;
  /** `target` with its host and port replaced by the proxy's (credentials, path and query kept). */
  url: string;
  set(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Proxies 127.0.0.1:<port> to `target` (a URL such as nats://host:4222 or postgres://user@host:5432/db). */
export async function startTcpProxy(target: string | URL, defaultPort?: number): Promise<TcpProxy> {
  const upstreamUrl = new URL(target);
  const upstreamPort = Number(upstreamUrl.port || defaultPort);
  if (!upstreamPort)
    throw new Error(`startTcpProxy: no port in ${upstreamUrl.protocol} target and no default`);
  let mode: ProxyMode = 'open';
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (mode === 'refuse') return client.destroy();
    const upstream = tcpConnect(upstreamPort, upstreamUrl.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy()).on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    // after pipe(), which resumes its source
    if (mode === 'stall') for (const socket of [client, upstream]) socket.pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = new URL(upstreamUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    port,
    url: url.toString(),
    set(next) {
      mode = next;
      for (const socket of sockets) {
        if (next === 'refuse') socket.destroy();
        else if (next === 'stall') socket.pause();
        else socket.resume();
      }
    },
    async close() {
      mode = 'refuse';
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
