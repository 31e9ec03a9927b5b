// A message's Signal transaction must not outlive it. Baileys' auto-purging caches arm a timer per message
// (five minutes for the recent-message cache), and a timer keeps the async context it was armed in, which
// held the transaction's decrypted session records: 4–5 KB of heap per message for minutes (the workers'
// heap grew 7 MB/min under load). Counted here: the transaction scopes still alive after a full GC.
import { queryObjects } from 'node:v8';
import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionScope } from '../src/session/signal-guards.ts';
import { linkInstance, startWorld, type WorkerWorld } from './harness.ts';

let world: WorkerWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

const liveScopes = () => queryObjects(TransactionScope, { format: 'count' }) as number;

describe('Signal transactions after their message', () => {
  it('keeps no transaction alive once 30 sends and 30 inbound messages are done', async () => {
    const worker = await world.startWorker();
    const { sim, bus } = world;
    const shop = '4915900000101';
    const carla = '4915900000102';
    sim.createAccount(shop, { pushName: 'Shop' });
    sim.createAccount(carla, { pushName: 'Carla' });
    const { instanceId, customerId } = await linkInstance(world, worker.workerId, shop);
    const before = liveScopes();

    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      const messageId = newId('message');
      const reply = await world.command(bus.subjects.command(instanceId, 'send'), {
        message_id: messageId,
        customer_id: customerId,
        to: carla,
        content: { type: 'text', text: `out ${round}` },
        reply_to: null,
      });
      expect(reply.ok).toBe(true);
      await world.waitForEvent((e) => e.type === 'message.sent' && e.data.message_id === messageId);
      await sim.sendText(carla, shop, `in ${round}`);
    }
    await world.waitForEvent(
      (e) =>
        e.type === 'message.received' && e.instance_id === instanceId && e.data.text === `in ${rounds - 1}`,
    );
    // Every message's transaction has run (60 or more of them); what is left is at most the few in flight
    // for receipts still arriving. Before the fix, all of them stayed (each held by a 5-minute timer).
    await expect.poll(() => liveScopes() - before, { timeout: 5_000, interval: 250 }).toBeLessThanOrEqual(2);
  }, 60_000);
});
