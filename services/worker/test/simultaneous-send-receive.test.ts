// Sending to a contact while that contact sends to us, many times over on one chat: both sides must keep
// one consistent Signal session (no "Bad MAC" on the phone, no undecryptable message on the worker).
import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkInstance, startWorld, type WorkerWorld } from './harness.ts';

let world: WorkerWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

const ROUNDS = 40;

describe('simultaneous send and receive on one chat', () => {
  it(`keeps the Signal session consistent on both sides over ${ROUNDS} rounds`, async () => {
    const worker = await world.startWorker();
    const { sim, bus } = world;
    const shop = '4915600000001';
    const carla = '4915600000002';
    sim.createAccount(shop, { pushName: 'Shop' });
    sim.createAccount(carla, { pushName: 'Carla' });
    const { instanceId, customerId } = await linkInstance(world, worker.workerId, shop);
    const send = (text: string) =>
      world.command(bus.subjects.command(instanceId, 'send'), {
        message_id: newId('message'),
        customer_id: customerId,
        to: carla,
        content: { type: 'text', text },
        reply_to: null,
      });

    // a first exchange sets the sessions up (pkmsg both ways); the rounds then ratchet them
    await send('hello');
    await sim.sendText(carla, shop, 'hi');
    await world.waitForEvent((e) => e.type === 'message.received' && e.data.text === 'hi');
    await sim.events.waitFor('phone.received', (e) => e.msisdn === carla && e.text === 'hello');

    for (let round = 0; round < ROUNDS; round++) {
      // the contact's message leaves at a different point of our send each round (0..9 ms later)
      const offset = round % 10;
      const [reply] = await Promise.all([
        send(`out ${round}`),
        new Promise((resolve) => setTimeout(resolve, offset)).then(() =>
          sim.sendText(carla, shop, `in ${round}`),
        ),
      ]);
      expect(reply.ok).toBe(true);
      await world.waitForEvent((e) => e.type === 'message.received' && e.data.text === `in ${round}`);
      await sim.events.waitFor('phone.received', (e) => e.msisdn === carla && e.text === `out ${round}`);
    }

    const failures = sim.events.since(0).filter((e) => e.type === 'phone.decrypt_failed');
    expect(failures).toEqual([]);
    const shown = sim
      .inbox(carla)
      .filter((m) => !m.ownDeviceCopy)
      .map((m) => m.text);
    expect(shown).toEqual(['hello', ...Array.from({ length: ROUNDS }, (_, i) => `out ${i}`)]);
    const received = world.events
      .filter((e) => e.type === 'message.received' && e.instance_id === instanceId)
      .map((e) => e.data.text);
    expect(received).toEqual(['hi', ...Array.from({ length: ROUNDS }, (_, i) => `in ${i}`)]);
  }, 180_000);
});
