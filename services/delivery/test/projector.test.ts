// The projector: instance and message events become the rows the API reads, once per event id, never
// rolling state back.
import { randomBytes } from 'node:crypto';
import { makeEvent, newId } from '@whatisup/contracts';
import { applyProjections, type Projection } from '@whatisup/db';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toProjection } from '../src/projector.ts';
import { createWorld, type World, waitFor } from './fixture.ts';

let world: World;
beforeEach(async () => {
  world = await createWorld();
  await world.start();
});
afterEach(() => world.close());

async function instanceRow(id: string) {
  const [row] = await world.db.sql<
    {
      status: string;
      phone: string | null;
      push_name: string | null;
      worker_id: string | null;
      last_error_code: string | null;
      last_error: string | null;
      connected_at: string | null;
    }[]
  >`select status, phone, push_name, worker_id, last_error_code, last_error, connected_at from instances where id = ${id}`;
  return row!;
}

async function messageRow(id: string) {
  const [row] = await world.db.sql<
    {
      status: string;
      direction: string;
      wa_message_id: string | null;
      error_code: string | null;
      error_message: string | null;
      type: string;
      payload: Record<string, unknown>;
    }[]
  >`select status, direction, wa_message_id, error_code, error_message, type, payload from messages where id = ${id}`;
  return row;
}

async function queuedMessage(customer: { id: string; instanceId: string }) {
  const id = newId('message');
  await world.db.sql`
    insert into messages (id, customer_id, instance_id, direction, "to", type, payload, status)
    values (${id}, ${customer.id}, ${customer.instanceId}, 'out', '15550002222', 'text', '{"text":"hi"}', 'queued')`;
  return id;
}

describe('instance events', () => {
  it('move the instance through its states with phone, push name, worker and last error', async () => {
    const customer = await world.customer();
    await world.publish(customer, 'instance.connecting', { status: 'connecting', worker_id: 'worker-a' });
    await world.publish(customer, 'qr.updated', {
      status: 'qr_required',
      qr: '2@abc',
      expires_at: new Date().toISOString(),
    });
    await waitFor(async () => (await instanceRow(customer.instanceId)).status === 'qr_required', 3_000);
    expect((await instanceRow(customer.instanceId)).worker_id).toBe('worker-a');

    const connected = await world.publish(customer, 'instance.connected', {
      status: 'connected',
      phone: '15550001111',
      push_name: 'Shop',
      worker_id: 'worker-b',
    });
    await waitFor(async () => (await instanceRow(customer.instanceId)).status === 'connected', 3_000);
    expect(await instanceRow(customer.instanceId)).toMatchObject({
      phone: '15550001111',
      push_name: 'Shop',
      worker_id: 'worker-b',
      last_error_code: null,
    });
    expect(new Date((await instanceRow(customer.instanceId)).connected_at!).toISOString()).toBe(
      connected.created_at,
    );

    await world.publish(customer, 'instance.disconnected', {
      status: 'disconnected',
      reason: 'connection_lost',
      message: 'the WhatsApp connection dropped',
      will_reconnect: true,
    });
    await waitFor(async () => (await instanceRow(customer.instanceId)).status === 'disconnected', 3_000);
    expect(await instanceRow(customer.instanceId)).toMatchObject({
      phone: '15550001111',
      last_error_code: 'connection_lost',
      last_error: 'the WhatsApp connection dropped',
    });
  });

  it('ignores an event older than the last one applied to the instance', async () => {
    const customer = await world.customer();
    const older = makeEvent(
      'instance.connected',
      { customerId: customer.id, instanceId: customer.instanceId },
      { status: 'connected', phone: '15550001111', push_name: null, worker_id: 'w' },
      new Date(Date.now() - 60_000),
    );
    await world.publish(customer, 'session.invalidated', {
      status: 'disconnected',
      reason: 'device_removed',
      message: 'unlinked from the phone',
    });
    await waitFor(async () => (await instanceRow(customer.instanceId)).status === 'disconnected', 3_000);
    await world.bus.publishEvent(older);
    const marker = await world.publish(customer, 'qr.updated', {
      status: 'qr_required',
      qr: 'q',
      expires_at: new Date().toISOString(),
    });
    await waitFor(async () => (await instanceRow(customer.instanceId)).status === 'qr_required', 3_000);
    expect(marker.id > older.id).toBe(true);
    expect((await instanceRow(customer.instanceId)).phone).toBeNull();
  });
});

describe('message events', () => {
  it('update a send’s status forward only: read > delivered > failed > sent > queued', async () => {
    const customer = await world.customer();
    const id = await queuedMessage(customer);
    await world.publish(customer, 'message.delivered', { message_id: id, wa_message_id: 'WA1' });
    await world.publish(customer, 'message.sent', {
      message_id: id,
      wa_message_id: 'WA1',
      to: '15550002222',
    });
    await world.publish(customer, 'message.failed', {
      message_id: id,
      wa_message_id: 'WA1',
      error: { code: 'timeout', message: 'late' },
    });
    const marker = await queuedMessage(customer);
    await world.publish(customer, 'message.sent', { message_id: marker, wa_message_id: 'WA2', to: '1555' });
    await waitFor(async () => (await messageRow(marker))?.status === 'sent', 3_000);
    expect(await messageRow(id)).toMatchObject({
      status: 'delivered',
      wa_message_id: 'WA1',
      error_code: null,
    });
    await world.publish(customer, 'message.read', { message_id: id, wa_message_id: 'WA1' });
    await waitFor(async () => (await messageRow(id))?.status === 'read', 3_000);
  });

  it('marks a send failed with its error code, unless the recipient’s phone later confirms it', async () => {
    const customer = await world.customer();
    const id = await queuedMessage(customer);
    await world.publish(customer, 'message.sent', { message_id: id, wa_message_id: 'WA9', to: '1555' });
    await world.publish(customer, 'message.failed', {
      message_id: id,
      wa_message_id: null,
      error: { code: 'rate_limited', message: 'WhatsApp rate limit' },
    });
    await waitFor(async () => (await messageRow(id))?.status === 'failed', 3_000);
    expect(await messageRow(id)).toMatchObject({
      error_code: 'rate_limited',
      error_message: 'WhatsApp rate limit',
      wa_message_id: 'WA9',
    });
    await world.publish(customer, 'message.sent', { message_id: id, wa_message_id: 'WA9', to: '1555' });
    await world.publish(customer, 'message.delivered', { message_id: id, wa_message_id: 'WA9' });
    await waitFor(async () => (await messageRow(id))?.status === 'delivered', 3_000);
  });

  it('stores received messages as direction "in"', async () => {
    const customer = await world.customer();
    const messageId = newId('message');
    await world.publish(customer, 'message.received', {
      message_id: messageId,
      wa_message_id: 'WAIN1',
      from: '15557770000',
      push_name: 'Ann',
      type: 'text',
      text: 'hello there',
      media: null,
      quoted_id: null,
      timestamp: new Date().toISOString(),
    });
    const row = await waitFor(() => messageRow(messageId), 3_000);
    expect(row).toMatchObject({ direction: 'in', status: 'delivered', wa_message_id: 'WAIN1', type: 'text' });
    expect(row.payload).toMatchObject({ from: '15557770000', push_name: 'Ann', text: 'hello there' });
  });

  it('skips events whose data does not match the contract, and says so in the log', async () => {
    const customer = await world.customer();
    const event = await world.publish(customer, 'message.sent', { message_id: 42 });
    await waitFor(
      () => world.logs.some((line) => line.includes(event.id) && line.includes('not projected')),
      3_000,
    );
  });
});

describe('idempotency', () => {
  it('applies an event once, however often it is delivered', async () => {
    const customer = await world.customer();
    const messageId = newId('message');
    const event = makeEvent(
      'message.received',
      { customerId: customer.id, instanceId: customer.instanceId },
      {
        message_id: messageId,
        wa_message_id: randomBytes(4).toString('hex'),
        from: '1555',
        push_name: null,
        type: 'text',
        text: 'once',
        media: null,
        quoted_id: null,
        timestamp: new Date().toISOString(),
      },
    );
    const projection = toProjection(event) as Projection;
    expect((await applyProjections(world.db.db, [event.id], [projection])).size).toBe(1);
    await world.db.sql`update messages set status = 'read' where id = ${messageId}`;
    expect((await applyProjections(world.db.db, [event.id], [projection])).size).toBe(0);
    expect((await messageRow(messageId))!.status).toBe('read');
  });
});
