import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCustomerId, newInstanceId, startWorld, type WorkerWorld } from './harness.ts';

let world: WorkerWorld;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

describe('a worker session end to end against wa-sim', () => {
  it('pairs by QR, sends a text that the contact reads, and receives the reply', async () => {
    const worker = await world.startWorker();
    const { sim, bus } = world;
    sim.createAccount('4915100000001', { pushName: 'Shop' });
    sim.createAccount('4915100000002', { pushName: 'Carla' });
    const instanceId = newInstanceId();
    const customerId = newCustomerId();
    const subjects = bus.subjects;

    const assigned = await world.command(subjects.worker(worker.workerId, 'assign'), {
      instance_id: instanceId,
      customer_id: customerId,
    });
    expect(assigned).toEqual({ ok: true, data: { instance_id: instanceId, worker_id: worker.workerId } });

    const qrEvent = await world.waitForEvent((e) => e.type === 'qr.updated' && e.instance_id === instanceId);
    expect(qrEvent.customer_id).toBe(customerId);
    const qr = await world.command<{ qr: string; expires_at: string }>(subjects.command(instanceId, 'qr'));
    expect(qr.ok).toBe(true);
    if (!qr.ok) return;
    expect(Date.parse(qr.data.expires_at)).toBeGreaterThan(Date.now());

    sim.scanQr('4915100000001', qr.data.qr);
    const connected = await world.waitForEvent(
      (e) => e.type === 'instance.connected' && e.instance_id === instanceId,
    );
    expect(connected.data).toMatchObject({
      status: 'connected',
      phone: '4915100000001',
      worker_id: worker.workerId,
    });

    const messageId = newId('message');
    const sent = await world.command(subjects.command(instanceId, 'send'), {
      message_id: messageId,
      customer_id: customerId,
      to: '4915100000002',
      content: { type: 'text', text: 'Hello Carla 👋' },
      reply_to: null,
    });
    expect(sent).toMatchObject({ ok: true, data: { message_id: messageId, status: 'queued' } });
    await world.waitForEvent((e) => e.type === 'message.sent' && e.data.message_id === messageId);
    await world.waitForEvent((e) => e.type === 'message.delivered' && e.data.message_id === messageId);
    await world.waitForEvent((e) => e.type === 'message.read' && e.data.message_id === messageId);
    const inbox = sim.inbox('4915100000002').filter((m) => !m.ownDeviceCopy);
    expect(inbox.map((m) => m.text)).toEqual(['Hello Carla 👋']);

    await sim.sendText('4915100000002', '4915100000001', 'Hi! Is it open today?');
    const received = await world.waitForEvent(
      (e) => e.type === 'message.received' && e.instance_id === instanceId,
    );
    expect(received.data).toMatchObject({
      from: '4915100000002',
      type: 'text',
      text: 'Hi! Is it open today?',
      push_name: 'Carla',
    });
  });
});
