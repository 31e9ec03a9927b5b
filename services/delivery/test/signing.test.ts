// Every delivered webhook verifies with an independent Standard Webhooks implementation, over the exact bytes
// received; headers are the documented ones; during a rotation both secrets sign.
import { makeWebhookTestEvent } from '@whatisup/contracts';
import { insertTestDelivery, notifyDeliveriesDue, rotateWebhookEndpointSecret } from '@whatisup/db';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  attemptRows,
  deliveryRows,
  freshWorldEachTest,
  newSecret,
  type Receiver,
  receiver,
  waitFor,
  world,
} from './fixture.ts';

freshWorldEachTest();

function headersOf(r: Receiver['received'][number]): Record<string, string> {
  return Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
}

describe('signed webhooks', () => {
  it('delivers every event with verifiable signatures over the exact bytes, and the documented headers', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    await world.start();
    const events = [];
    for (let i = 0; i < 20; i++) events.push(await world.publish(customer));
    await waitFor(() => receiver.received.length >= 20);

    const verifier = new Webhook(endpoint.secret);
    for (const event of events) {
      const [got] = receiver.byEventId(event.id);
      expect(got).toBeDefined();
      const parsed = verifier.verify(got!.body, headersOf(got!));
      // The body is the envelope, field for field, in the documented order.
      expect(parsed).toEqual(event);
      expect(Object.keys(JSON.parse(got!.body))).toEqual([
        'id',
        'type',
        'created_at',
        'customer_id',
        'instance_id',
        'data',
      ]);
      expect(got!.headers['content-type']).toBe('application/json');
      expect(got!.headers['x-whatisup-endpoint-id']).toBe(endpoint.id);
      expect(got!.headers['x-whatisup-event-type']).toBe('message.received');
      expect(Number(got!.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
    }
    expect(() =>
      new Webhook(newSecret()).verify(receiver.received[0]!.body, headersOf(receiver.received[0]!)),
    ).toThrow();
  });

  it('keeps webhook-id constant across retries and signs each attempt with its own timestamp', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = (_r, count) => (count < 2 ? { status: 500 } : { status: 200 });
    await world.start({ scheduleMs: [0, 1_100, 1_100] });
    const event = await world.publish(customer);
    await waitFor(() => receiver.byEventId(event.id).length >= 3);
    const got = receiver.byEventId(event.id);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
    expect(new Set(got.map((r) => r.headers['webhook-timestamp'])).size).toBe(3);
    for (const r of got) expect(new Webhook(endpoint.secret).verify(r.body, headersOf(r))).toEqual(event);
  });

  it('signs with the old and the new secret during the rotation overlap, only the new one after it', async () => {
    const customer = await world.customer();
    const oldSecret = newSecret();
    const endpoint = await world.endpoint(customer.id, receiver.url, { secret: oldSecret });
    const newer = newSecret();
    await rotateWebhookEndpointSecret(world.db.db, customer.id, endpoint.id, {
      secretSealed: world.secretBox.seal(newer),
      overlapSeconds: 86_400,
    });
    await world.start();
    const during = await world.publish(customer);
    await waitFor(() => receiver.byEventId(during.id).length === 1);
    const [first] = receiver.byEventId(during.id);
    expect(String(first!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(first!.body, headersOf(first!))).toEqual(during);
    expect(new Webhook(newer).verify(first!.body, headersOf(first!))).toEqual(during);

    await world.db.sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second'`;
    const after = await world.publish(customer);
    await waitFor(() => receiver.byEventId(after.id).length === 1);
    const [second] = receiver.byEventId(after.id);
    expect(String(second!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(new Webhook(newer).verify(second!.body, headersOf(second!))).toEqual(after);
    expect(() => new Webhook(oldSecret).verify(second!.body, headersOf(second!))).toThrow();
  });

  it('sends a webhook.test delivery (as the test route creates it) through the same signed path', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url, { events: ['message.read'] });
    await world.start();
    const event = makeWebhookTestEvent(customer.id, endpoint.id);
    const delivery = await insertTestDelivery(world.db.db, {
      customerId: customer.id,
      endpointId: endpoint.id,
      event,
    });
    await notifyDeliveriesDue(world.db.db);
    await waitFor(() => receiver.byEventId(event.id).length === 1);
    const [got] = receiver.byEventId(event.id);
    expect(got!.headers['x-whatisup-event-type']).toBe('webhook.test');
    expect(new Webhook(endpoint.secret).verify(got!.body, headersOf(got!))).toEqual(event);
    await waitFor(async () => (await deliveryRows(world))[0]?.status === 'delivered');
    expect((await attemptRows(world, delivery.id)).map((a) => a.trigger)).toEqual(['test']);
  });
});
