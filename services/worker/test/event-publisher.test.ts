import { makeEvent } from '@whatisup/contracts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventPublisher } from '../src/event-publisher.ts';

const scope = { customerId: 'cus_x', instanceId: 'ins_x' };

describe('event publisher', () => {
  it('publishes a window of events in order', async () => {
    const published: string[] = [];
    const publisher = new EventPublisher(
      { publishEvent: async (event) => void published.push(event.id) },
      pino({ level: 'silent' }),
      1000,
    );
    const events = Array.from({ length: 200 }, (_, i) => makeEvent('message.sent', scope, { i }));
    for (const event of events) publisher.publish(event);
    await publisher.flushed();
    expect(published).toEqual(events.map((e) => e.id));
  });

  it('keeps events while the stream refuses them and publishes every one once it accepts again', async () => {
    const published: string[] = [];
    let refuse = 3;
    const publisher = new EventPublisher(
      {
        async publishEvent(event) {
          if (refuse > 0) {
            refuse--;
            throw new Error('no responders: stream unavailable');
          }
          published.push(event.id);
        },
      },
      pino({ level: 'silent' }),
      100,
    );
    const events = Array.from({ length: 5 }, (_, i) => makeEvent('message.sent', scope, { i }));
    for (const event of events) publisher.publish(event);
    expect(publisher.pending).toBe(5);
    await publisher.flushed();
    // The refused ones are retried after the ones that went through (their ids still sort by creation).
    expect([...published].sort()).toEqual(events.map((e) => e.id).sort());
    expect(published).toHaveLength(5);
    expect(publisher.pending).toBe(0);
    expect(publisher.dropped).toBe(0);
    expect(publisher.backlogged).toBe(false);
  });

  it('is bounded: past the limit the oldest event is dropped and counted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const published: number[] = [];
    const publisher = new EventPublisher(
      {
        async publishEvent(event) {
          await gate;
          published.push(event.data.i as number);
        },
      },
      pino({ level: 'silent' }),
      3,
    );
    for (let i = 0; i < 5; i++) publisher.publish(makeEvent('message.sent', scope, { i }));
    expect(publisher.dropped).toBe(2);
    release();
    await publisher.flushed();
    expect(published).toEqual([0, 3, 4]);
  });
});
