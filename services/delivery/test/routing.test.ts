// Which endpoint gets what: pause holds deliveries without spending attempts and releases them oldest first;
// the events filter; another customer's endpoints never receive.
import { pauseWebhookEndpoint, resumeWebhookEndpoint } from '@whatisup/db';
import { describe, expect, it } from 'vitest';
import { deliveryRows, freshWorldEachTest, receiver, startReceiver, waitFor, world } from './fixture.ts';

freshWorldEachTest();

describe('paused endpoints', () => {
  it('hold deliveries without attempts, then deliver them all in order of creation on resume', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    await pauseWebhookEndpoint(world.db.db, customer.id, endpoint.id);
    await world.start({ endpointConcurrency: 1 });
    const events = [];
    for (let i = 0; i < 25; i++) events.push(await world.publish(customer));
    await waitFor(async () => (await deliveryRows(world)).length === 25);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.received).toHaveLength(0);
    expect((await deliveryRows(world)).every((r) => r.attempts === 0 && r.status === 'pending')).toBe(true);

    await resumeWebhookEndpoint(world.db.db, customer.id, endpoint.id);
    await waitFor(() => receiver.received.length === 25);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual(events.map((e) => e.id));
    const rows = await waitFor(async () => {
      const all = await deliveryRows(world);
      return all.every((r) => r.status === 'delivered') ? all : null;
    });
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
  });
});

describe('routing', () => {
  it('honours each endpoint’s events filter (empty = every type)', async () => {
    const customer = await world.customer();
    const onlyReceived = await world.endpoint(customer.id, `${receiver.url}?only-received`, {
      events: ['message.received'],
    });
    const onlyConnected = await world.endpoint(customer.id, `${receiver.url}?only-connected`, {
      events: ['instance.connected', 'message.read'],
    });
    const everything = await world.endpoint(customer.id, `${receiver.url}?all`);
    await world.start();
    const received = await world.publish(customer, 'message.received');
    const connected = await world.publish(customer, 'instance.connected', {
      status: 'connected',
      phone: '15550001111',
      push_name: 'Shop',
      worker_id: 'w1',
    });
    await waitFor(() => receiver.received.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const to = (endpointId: string) =>
      receiver.received
        .filter((r) => r.headers['x-whatisup-endpoint-id'] === endpointId)
        .map((r) => r.headers['webhook-id'])
        .sort();
    expect(to(onlyReceived.id)).toEqual([received.id]);
    expect(to(onlyConnected.id)).toEqual([connected.id]);
    expect(to(everything.id)).toEqual([received.id, connected.id].sort());
    expect(receiver.received).toHaveLength(4);
  });

  it('never sends one customer’s events to another customer’s endpoint', async () => {
    const acme = await world.customer('Acme');
    const globex = await world.customer('Globex');
    const other = await startReceiver();
    try {
      const acmeEndpoint = await world.endpoint(acme.id, receiver.url);
      await world.endpoint(globex.id, other.url);
      await world.start();
      const events = [];
      for (let i = 0; i < 10; i++) events.push(await world.publish(acme));
      await waitFor(() => receiver.received.length === 10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(other.received).toHaveLength(0);
      expect(receiver.received.every((r) => r.headers['x-whatisup-endpoint-id'] === acmeEndpoint.id)).toBe(
        true,
      );
      expect(receiver.received.every((r) => JSON.parse(r.body).customer_id === acme.id)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('writes one delivery per endpoint and event even when the event is delivered twice by the stream', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    await world.start();
    const event = await world.publish(customer);
    await waitFor(() => receiver.received.length === 1);
    // A crash between commit and ack redelivers the event: simulate by feeding it through fan-out again.
    const { insertDeliveries, listFanOutEndpoints } = await import('@whatisup/db');
    const { planDeliveries } = await import('../src/fan-out.ts');
    const endpoints = await listFanOutEndpoints(world.db.db, [customer.id]);
    expect(endpoints.map((e) => e.id)).toEqual([endpoint.id]);
    const again = await insertDeliveries(world.db.db, planDeliveries([event], endpoints));
    expect(again.inserted).toBe(0);
    expect(await deliveryRows(world)).toHaveLength(1);
  });
});
