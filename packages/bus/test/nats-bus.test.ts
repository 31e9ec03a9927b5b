import { randomBytes } from 'node:crypto';
import { makeEvent } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus, decodeEvent, type NatsBus } from '../src/index.ts';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
let bus: NatsBus;
beforeAll(async () => {
  bus = await connectNatsBus({
    url: NATS_URL,
    prefix: `t${randomBytes(4).toString('hex')}`,
    name: 'bus-test',
  });
});
afterAll(async () => {
  await bus.jsm.streams.delete(bus.subjects.eventStream);
  await bus.close();
});

describe('NATS bus', () => {
  it('stores each event once in the stream even when published twice (event id = message id)', async () => {
    const event = makeEvent(
      'instance.connected',
      { customerId: 'cus_a', instanceId: 'ins_a' },
      { phone: '491' },
    );
    const first = await bus.publishEvent(event);
    const again = await bus.publishEvent(event);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    const stored = await bus.jsm.streams.getMessage(bus.subjects.eventStream, { seq: first.seq });
    expect(stored.subject).toBe(`${bus.subjects.prefix}.evt.cus_a.ins_a.instance.connected`);
    expect(decodeEvent(stored.data)).toEqual(event);
    const info = await bus.jsm.streams.info(bus.subjects.eventStream);
    expect(info.state.messages).toBe(1);
  });

  it('is idempotent when a second process ensures the same stream', async () => {
    const other = await connectNatsBus({ url: NATS_URL, prefix: bus.subjects.prefix, name: 'bus-test-2' });
    await other.close();
    const info = await bus.jsm.streams.info(bus.subjects.eventStream);
    expect(info.config.subjects).toEqual([bus.subjects.allEvents]);
  });
});
