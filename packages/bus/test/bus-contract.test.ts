// The bus contract suite against NATS (through a proxy the test can cut), the in-process bus on Postgres
// and the in-process bus on embedded PGlite (in memory).
import { randomBytes } from 'node:crypto';
import * as db from '@whatisup/db';
import { createTestDatabase } from '@whatisup/db/testing';
import { startTcpProxy } from '@whatisup/testkit';
import { connectNatsBus, createInProcessBus } from '../src/index.ts';
import { busContract } from './bus-contract.ts';

const NATS_URL = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');

busContract('NatsBus', async () => {
  // its connections cut by the proxy, as if the server went away
  const proxy = await startTcpProxy(NATS_URL, 4222);
  const prefix = `b${randomBytes(4).toString('hex')}`;
  const prefixes = new Set([prefix]);
  return {
    async open(options) {
      prefixes.add(options?.prefix ?? prefix);
      return connectNatsBus({ url: proxy.url, prefix, name: 'bus-contract', ...options });
    },
    async cut() {
      proxy.set('refuse');
      return async () => proxy.set('open');
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
