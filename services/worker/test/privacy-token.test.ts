// Baileys issues our trusted-contact (privacy) token to a contact after a send, at most once per contact per
// 7-day bucket; the timestamp that remembers it must reach the key store, or every message costs an IQ.
import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkInstance, startWorld, type WorkerWorld } from './harness.ts';

let world: WorkerWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

describe('privacy token issuance', () => {
  it('issues the token once to a contact across many messages and a restart of the socket', async () => {
    const worker = await world.startWorker();
    const { sim, bus } = world;
    const shop = '4915900000001';
    const contacts = ['4915900000002', '4915900000003'];
    sim.createAccount(shop, { pushName: 'Shop' });
    for (const msisdn of contacts) sim.createAccount(msisdn);
    const { instanceId, customerId } = await linkInstance(world, worker.workerId, shop);
    // Each socket that opens also asks for the privacy settings once (a `privacy` get), so the count is:
    // sockets opened + tokens issued. Fixed by Baileys' flow, whatever the timing of those gets.
    const privacyIqs = () => sim.stats().iqs.privacy ?? 0;
    const sendAndWait = async (to: string, text: string) => {
      const messageId = newId('message');
      const reply = await world.command(bus.subjects.command(instanceId, 'send'), {
        message_id: messageId,
        customer_id: customerId,
        to,
        content: { type: 'text', text },
        reply_to: null,
      });
      expect(reply.ok).toBe(true);
      await world.waitForEvent((e) => e.type === 'message.sent' && e.data.message_id === messageId);
    };

    for (let i = 0; i < 5; i++) for (const to of contacts) await sendAndWait(to, `message ${i}`);
    // the issuance runs after the send, without being awaited; one socket has opened so far
    await expect.poll(privacyIqs).toBe(1 + contacts.length);

    const restarted = await world.command(bus.subjects.command(instanceId, 'restart'));
    expect(restarted.ok).toBe(true);
    await world.waitForEvent(
      (e) =>
        e.type === 'instance.connected' &&
        e.instance_id === instanceId &&
        world.events.filter((x) => x.type === 'instance.connected' && x.instance_id === instanceId).length >=
          2,
    );
    for (const to of contacts) await sendAndWait(to, 'after the restart');
    // the second socket's settings get, and no new token: the timestamps were stored in the key store
    await expect.poll(privacyIqs).toBe(2 + contacts.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(privacyIqs()).toBe(2 + contacts.length);
  }, 60_000);
});
