// An inbound message that Baileys has already acknowledged to WhatsApp when the worker is SIGKILLed, before
// its message.received event is on the stream: WhatsApp never sends it again, so the restarted worker must
// publish it from its own volume, once.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeEvent } from '@whatisup/bus';
import { type EventEnvelope, isId, newId } from '@whatisup/contracts';
import { describe, expect, it } from 'vitest';
import { childWorld, spawnChild, world } from './child-worker.ts';
import { linkInstance } from './harness.ts';

childWorld();

/** What the event stream holds (what subscribers and the projector will ever see), not the live feed. */
async function storedEvents(): Promise<EventEnvelope[]> {
  const { bus } = world;
  const info = await bus.jsm.streams.info(bus.subjects.eventStream).catch(() => null);
  const count = info?.state.messages ?? 0;
  if (count === 0) return [];
  const consumer = await bus.js.consumers.get(bus.subjects.eventStream);
  const events: EventEnvelope[] = [];
  const batch = await consumer.fetch({ max_messages: count, expires: 5_000 });
  for await (const message of batch) {
    events.push(decodeEvent(message.data));
    if (events.length >= count) break;
  }
  return events;
}

describe('an inbound message in flight at SIGKILL', () => {
  it('acked to WhatsApp but not yet on the stream: published once after the restart', async () => {
    const { sim, bus } = world;
    const shop = '4915800000001';
    const carla = '4915800000002';
    sim.createAccount(shop, { pushName: 'Shop' });
    sim.createAccount(carla, { pushName: 'Carla' });
    const workerId = 'worker-inbound';
    const first = await spawnChild(workerId);
    const { instanceId } = await linkInstance(world, workerId, shop);

    // The stream stops taking events, so the worker's event stays in its memory however fast it is: the
    // kill below lands after Baileys' receipt and before the event is durable, every time.
    await bus.jsm.streams.delete(bus.subjects.eventStream);
    const { id } = await sim.sendText(carla, shop, 'in flight at the crash');
    await sim.events.waitFor('receipt.received', (e) => e.id === id && e.from === shop, 15_000);
    await first.kill('SIGKILL');
    const killedAt = world.events.length;

    const second = await spawnChild(workerId);
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' &&
        e.instance_id === instanceId &&
        world.events.indexOf(e) >= killedAt,
    );
    const received = async () =>
      (await storedEvents()).filter(
        (e) => e.type === 'message.received' && e.instance_id === instanceId && e.data.wa_message_id === id,
      );
    await expect.poll(async () => (await received()).length, { timeout: 15_000 }).toBe(1);
    const [event] = await received();
    expect(event!.data).toMatchObject({ from: carla, text: 'in flight at the crash', push_name: 'Carla' });
    expect(isId('message', String(event!.data.message_id))).toBe(true);
    // WhatsApp considered it delivered the first time and did not send it again
    expect(sim.events.since(0).filter((e) => e.type === 'receipt.received' && e.id === id)).toHaveLength(1);

    // once published, the spool is empty, and a further restart publishes nothing again
    const spool = join(world.dataDir, workerId, 'inbound', instanceId);
    await expect.poll(async () => (await readdir(spool)).length, { timeout: 10_000 }).toBe(0);
    await second.kill('SIGKILL');
    await spawnChild(workerId);
    const restartedAt = world.events.length;
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' &&
        e.instance_id === instanceId &&
        world.events.indexOf(e) >= restartedAt,
    );
    expect(await received()).toHaveLength(1);
  }, 90_000);
});

/**
 * Links `shop`, stops the stream from taking events (the send's outcome stays in the worker's memory), sends
 * one text to `contact`, waits until the contact's phone has it and the worker has recorded WhatsApp's ack,
 * then SIGKILLs the worker.
 */
async function killWithOutcomeInFlight(workerId: string, shop: string, contact: string, text: string) {
  const { sim, bus } = world;
  sim.createAccount(shop, { pushName: 'Shop' });
  sim.createAccount(contact, { pushName: 'Dana' });
  const first = await spawnChild(workerId);
  const { instanceId, customerId } = await linkInstance(world, workerId, shop);
  await bus.jsm.streams.delete(bus.subjects.eventStream);
  const messageId = newId('message');
  const queued = await world.command(bus.subjects.command(instanceId, 'send'), {
    message_id: messageId,
    customer_id: customerId,
    to: contact,
    content: { type: 'text', text },
    reply_to: null,
  });
  expect(queued.ok).toBe(true);
  const onPhone = () => sim.inbox(contact).filter((m) => !m.ownDeviceCopy && m.text === text);
  await expect.poll(() => onPhone().length, { timeout: 15_000 }).toBe(1);
  const outbox = join(world.dataDir, workerId, 'outbox', instanceId);
  const outboxFiles = async () => (await readdir(outbox).catch(() => [])).filter((f) => !f.startsWith('.'));
  await expect.poll(async () => (await outboxFiles()).includes(`${messageId}.acked`)).toBe(true);
  await first.kill('SIGKILL');
  const outcomes = async () =>
    (await storedEvents()).filter(
      (e) => (e.type === 'message.sent' || e.type === 'message.failed') && e.data.message_id === messageId,
    );
  return { instanceId, messageId, onPhone, outboxFiles, outcomes, killedAt: world.events.length };
}

describe('a sent message whose outcome is not yet on the stream at SIGKILL', () => {
  it('is on the phone once, and its message.sent is stored once after the restart', async () => {
    const workerId = 'worker-outcome';
    const text = 'outcome in flight at the crash';
    const crash = await killWithOutcomeInFlight(workerId, '4915800000011', '4915800000012', text);

    await spawnChild(workerId);
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' &&
        e.instance_id === crash.instanceId &&
        world.events.indexOf(e) >= crash.killedAt,
    );
    await expect.poll(async () => (await crash.outcomes()).length, { timeout: 20_000 }).toBe(1);
    expect((await crash.outcomes())[0]!.type).toBe('message.sent');
    expect(crash.onPhone()).toHaveLength(1);
    await expect.poll(async () => (await crash.outboxFiles()).length, { timeout: 10_000 }).toBe(0);
  }, 90_000);

  it('acknowledged by WhatsApp: message.sent after the restart even if the session cannot come back in time', async () => {
    const workerId = 'worker-outcome-acked';
    const text = 'acknowledged before the crash';
    const crash = await killWithOutcomeInFlight(workerId, '4915800000021', '4915800000022', text);

    // A second attempt would have to wait for a session that cannot log in, past the send-queue limit, and
    // end message.failed (not_connected) for a message the contact already has.
    world.sim.refuseLogins(15_000);
    await spawnChild(workerId, { SEND_QUEUE_WAIT_MS: '500' });
    await expect.poll(async () => (await crash.outcomes()).length, { timeout: 10_000 }).toBe(1);
    expect((await crash.outcomes())[0]!.type).toBe('message.sent');
    expect(crash.onPhone()).toHaveLength(1);
    await expect.poll(async () => (await crash.outboxFiles()).length, { timeout: 10_000 }).toBe(0);
    world.sim.refuseLogins(0);
  }, 90_000);
});
