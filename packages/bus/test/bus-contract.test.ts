// The bus contract suite against NATS (through a proxy the test can cut), the in-process bus on Postgres
// and the in-process bus on embedded PGlite (in memory).
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import * as db from '@whatisup/db';
import { createTestDatabase } from '@whatisup/db/testing';
import { connectNatsBus, createInProcessBus } from '../src/index.ts';
import { busContract } from './bus-contract.ts';

const NATS_URL = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');

/** A TCP proxy to NATS whose connections the test can cut, as if the server went away. */
async function startProxy(): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = tcpConnect(Number(NATS_URL.port || 4222), NATS_URL.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

busContract('NatsBus', async () => {
  const proxy = await startProxy();
  const prefix = `b${randomBytes(4).toString('hex')}`;
  const prefixes = new Set([prefix]);
  return {
    async open(options) {
      prefixes.add(options?.prefix ?? prefix);
      return connectNatsBus({ url: proxy.url, prefix, name: 'bus-contract', ...options });
    },
    async cut() {
      proxy.cut();
      return async () => proxy.restore();
    },
    async cleanup() {
      for (const used of prefixes) {
        const admin = await connectNatsBus({
          url: NATS_URL.toString(),
          prefix: used,
          name: 'bus-contract-cleanup',
        });
        await admin.jsm.streams.delete(admin.subjects.eventStream).catch(() => {});
        await admin.jsm.streams.delete(`KV_${admin.subjects.workerRegistryBucket}`).catch(() => {});
        await admin.close();
      }
      await proxy.close();
    },
  };
});

busContract('InProcessBus on Postgres', async () => {
  const database = await createTestDatabase();
  const handle = db.createDb(database.url, { max: 5 });
  const prefix = `b${randomBytes(4).toString('hex')}`;
  return {
    open: (options) => createInProcessBus({ db: handle.db, prefix, ...options }),
    async cleanup() {
      await handle.close();
      await database.drop();
    },
  };
});

busContract('InProcessBus on PGlite', async () => {
  const handle = await db.createEmbeddedDb({ memory: true });
  await handle.migrate();
  const prefix = `b${randomBytes(4).toString('hex')}`;
  return {
    open: (options) => createInProcessBus({ db: handle.db, prefix, ...options }),
    cleanup: () => handle.close(),
  };
});
