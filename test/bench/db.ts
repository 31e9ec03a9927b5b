// Write rates of the two drivers side by side, for packages/db/README.md:
//   scripts/node24 pnpm bench db [--seconds 5]
// "send": what POST /messages writes (the message and its audit row, one transaction), one after the other.
// "fan-out": insertDeliveries batches of 100 (the delivery service's write), rows per second.
// Postgres is a fresh test database on TEST_DATABASE_URL / DATABASE_URL; PGlite is a data directory in tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newId } from '@whatisup/contracts';
import {
  createDb,
  createEmbeddedDb,
  type DbHandle,
  insertCustomer,
  insertDeliveries,
  insertInstance,
  insertOutboundMessage,
  insertWebhookEndpoint,
  recordAudit,
} from '@whatisup/db';
import { createTestDatabase } from '@whatisup/db/testing';

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '5' } } });
const seconds = Number(flags.seconds);

async function measure(handle: DbHandle) {
  await handle.migrate();
  const { db } = handle;
  const customer = await insertCustomer(db, { name: 'bench' });
  const instance = await insertInstance(db, { customerId: customer.id, name: 'line' });
  const endpoint = await insertWebhookEndpoint(db, {
    customerId: customer.id,
    url: 'https://example.com/hook',
    description: null,
    events: [],
    secretSealed: 'x',
  });

  const send = async () => {
    await db.transaction(async (tx) => {
      const message = await insertOutboundMessage(tx, {
        id: newId('message'),
        customerId: customer.id,
        instanceId: instance.id,
        to: '15550001111',
        type: 'text',
        payload: { text: 'hello from the write-rate benchmark' },
        idempotencyKey: null,
      });
      await recordAudit(tx, {
        customerId: customer.id,
        actorType: 'api_key',
        actorId: 'key_bench',
        action: 'message.send',
        targetType: 'message',
        targetId: message.id,
        correlationId: 'bench',
      });
    });
    return 1;
  };
  const fanOut = async () => {
    const rows = Array.from({ length: 100 }, () => ({
      id: newId('webhookDelivery'),
      customerId: customer.id,
      endpointId: endpoint.id,
      eventId: newId('event'),
      eventType: 'message.received',
      payload: JSON.stringify({ type: 'message.received', data: { text: 'hello' } }),
    }));
    return (await insertDeliveries(db, rows)).inserted;
  };

  const rate = async (op: () => Promise<number>) => {
    for (let i = 0; i < 20; i++) await op(); // warm-up
    const cpu = process.cpuUsage();
    const started = performance.now();
    let n = 0;
    while (performance.now() - started < seconds * 1000) n += await op();
    const elapsed = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    return { perSecond: Math.round(n / elapsed), cpuMs: (used.user + used.system) / 1000 / n };
  };
  return { send: await rate(send), fanOut: await rate(fanOut) };
}

console.log(
  `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}, Node ${process.version}; ${seconds} s per measurement`,
);
const database = await createTestDatabase();
const postgres = createDb(database.url, { max: 2 });
const dir = mkdtempSync(join(tmpdir(), 'wiu-write-rate-'));
const pglite = await createEmbeddedDb({ dataDir: join(dir, 'db') });
try {
  for (const [name, handle] of [
    ['postgres', postgres],
    ['pglite', pglite],
  ] as const) {
    const { send, fanOut } = await measure(handle);
    console.log(
      `${name.padEnd(8)} send (message + audit row, 1 transaction): ${send.perSecond}/s, ` +
        `${send.cpuMs.toFixed(3)} ms CPU of this process each; ` +
        `fan-out (insertDeliveries, batches of 100): ${fanOut.perSecond} rows/s, ${fanOut.cpuMs.toFixed(3)} ms CPU per row`,
    );
  }
} finally {
  await postgres.close();
  await database.drop();
  await pglite.close();
  rmSync(dir, { recursive: true, force: true });
}
