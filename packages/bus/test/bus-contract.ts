// The bus contract suite: one set of tests, run against every Bus implementation (bus-contract.test.ts).
// A fixture opens bus instances on one shared backing store (NATS prefix or database), so a second
// instance sees what the first stored, as a restarted process would.
import { randomBytes } from 'node:crypto';
import { type EventEnvelope, makeEvent } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Bus,
  type BusMessage,
  BusNoResponderError,
  BusTimeoutError,
  BusUnavailableError,
  type ConsumedEvent,
  type ConsumedEvents,
  decodeEvent,
  type EventFeed,
  type FeedEvent,
} from '../src/index.ts';

export interface BusFixture {
  /** A new bus instance on the fixture's store; `registryTtlMs` for the registry tests. */
  open(options?: { registryTtlMs?: number; prefix?: string }): Promise<Bus>;
  /**
   * Cuts the bus's connection (the server goes away) and returns a function that restores it. Only for
   * implementations with a connection to lose.
   */
  cut?(): Promise<() => Promise<void>>;
  cleanup(): Promise<void>;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decode = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as unknown;
const consumerName = () => `c_${randomBytes(4).toString('hex')}`;
const customerId = () => `cus_${randomBytes(6).toString('hex')}`;

function event(customer: string, instance = 'ins_a', type: EventEnvelope['type'] = 'message.received') {
  return makeEvent(
    type,
    { customerId: customer, instanceId: instance },
    { n: randomBytes(2).toString('hex') },
  );
}

/** Reads events from an iterator until `count` arrived or `timeoutMs` passed (then returns what it has). */
async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 10_000): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), left);
      }),
    ]);
    clearTimeout(timer);
    if (next === 'timeout' || next.done) break;
    out.push(next.value);
  }
  return out;
}

/** Rejection reason and how long it took. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('expected a rejection');
}

export function busContract(name: string, makeFixture: () => Promise<BusFixture>): void {
  describe(`${name}: bus contract`, () => {
    let fixture: BusFixture;
    let bus: Bus;
    const opened: Bus[] = [];
    const open = async (options?: { registryTtlMs?: number; prefix?: string }) => {
      const instance = await fixture.open(options);
      opened.push(instance);
      return instance;
    };
    beforeAll(async () => {
      fixture = await makeFixture();
      bus = await open();
    });
    afterAll(async () => {
      for (const instance of opened) await instance.close().catch(() => {});
      await fixture.cleanup();
    });

    describe('request/reply', () => {
      it('answers through a wildcard subscription, with the payload and headers', async () => {
        const seen: BusMessage[] = [];
        const sub = bus.subscribe(bus.subjects.command('*', 'status'), (message) => {
          seen.push(message);
          message.respond(encode({ echo: decode(message.data), subject: message.subject }));
        });
        try {
          const reply = await bus.request(bus.subjects.command('ins_1', 'status'), encode({ a: 1 }), {
            timeoutMs: 5_000,
            headers: { 'x-correlation-id': 'corr-1' },
          });
          expect(decode(reply)).toEqual({ echo: { a: 1 }, subject: bus.subjects.command('ins_1', 'status') });
          expect(seen[0]!.headers['x-correlation-id']).toBe('corr-1');
        } finally {
          sub.unsubscribe();
        }
      });

      it('matches `>` on the tail and `*` on one token only', async () => {
        const sub = bus.subscribe(`${bus.subjects.prefix}.worker.>`, (message) =>
          message.respond(encode(message.subject)),
        );
        const one = bus.subscribe(`${bus.subjects.prefix}.only.*`, (message) =>
          message.respond(encode('one')),
        );
        try {
          const subject = bus.subjects.worker('w1', 'assign');
          expect(decode(await bus.request(subject, encode({}), { timeoutMs: 5_000 }))).toBe(subject);
          expect(
            decode(await bus.request(`${bus.subjects.prefix}.only.x`, encode({}), { timeoutMs: 5_000 })),
          ).toBe('one');
          const { error } = await failure(
            bus.request(`${bus.subjects.prefix}.only.x.y`, encode({}), { timeoutMs: 2_000 }),
          );
          expect(error).toBeInstanceOf(BusNoResponderError);
        } finally {
          sub.unsubscribe();
          one.unsubscribe();
        }
      });

      it('fails with BusNoResponderError at once when nobody subscribes, and after unsubscribe', async () => {
        const subject = bus.subjects.command('ins_nobody', 'status');
        const { error, ms } = await failure(bus.request(subject, encode({}), { timeoutMs: 10_000 }));
        expect(error).toBeInstanceOf(BusNoResponderError);
        expect((error as BusNoResponderError).code).toBe('no_responders');
        expect(ms).toBeLessThan(5_000);
        const sub = bus.subscribe(subject, (message) => message.respond(encode('ok')));
        expect(decode(await bus.request(subject, encode({}), { timeoutMs: 5_000 }))).toBe('ok');
        sub.unsubscribe();
        await expect
          .poll(() => failure(bus.request(subject, encode({}), { timeoutMs: 1_000 })).then((f) => f.error))
          .toBeInstanceOf(BusNoResponderError);
      });

      it('fails with BusTimeoutError when the responder stays silent', async () => {
        const subject = bus.subjects.command('ins_silent', 'status');
        const sub = bus.subscribe(subject, () => {});
        try {
          const { error, ms } = await failure(bus.request(subject, encode({}), { timeoutMs: 300 }));
          expect(error).toBeInstanceOf(BusTimeoutError);
          expect(ms).toBeGreaterThanOrEqual(250);
          expect(ms).toBeLessThan(5_000);
        } finally {
          sub.unsubscribe();
        }
      });

      it('fails fast with BusUnavailableError once closed, in flight or new', async () => {
        const closing = await open();
        const subject = closing.subjects.command('ins_hang', 'status');
        closing.subscribe(subject, () => {});
        const inFlight = failure(closing.request(subject, encode({}), { timeoutMs: 20_000 }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        await closing.close();
        const { error, ms } = await inFlight;
        expect(error).toBeInstanceOf(BusUnavailableError);
        expect(ms).toBeLessThan(5_000);
        expect(closing.isConnected()).toBe(false);
        const later = await failure(closing.request(subject, encode({}), { timeoutMs: 20_000 }));
        expect(later.error).toBeInstanceOf(BusUnavailableError);
        expect(later.ms).toBeLessThan(1_000);
        const publish = await failure(closing.publishEvent(event(customerId())));
        expect(publish.error).toBeInstanceOf(BusUnavailableError);
        await expect(closing.ping()).rejects.toBeInstanceOf(BusUnavailableError);
      });

      it('fails fast while disconnected (in flight and new) and works again once reconnected', async (context) => {
        if (!fixture.cut) return context.skip();
        const cutBus = await open();
        const subject = cutBus.subjects.command('ins_cut', 'status');
        cutBus.subscribe(subject, () => {});
        await cutBus.ping();
        const inFlight = failure(cutBus.request(subject, encode({}), { timeoutMs: 20_000 }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        const restore = await fixture.cut();
        const { error, ms } = await inFlight;
        expect(error).toBeInstanceOf(BusUnavailableError);
        expect(ms).toBeLessThan(5_000);
        await expect.poll(() => cutBus.isConnected()).toBe(false);
        const request = await failure(cutBus.request(subject, encode({}), { timeoutMs: 20_000 }));
        expect(request.error).toBeInstanceOf(BusUnavailableError);
        expect(request.ms).toBeLessThan(1_000);
        const publish = await failure(cutBus.publishEvent(event(customerId())));
        expect(publish.error).toBeInstanceOf(BusUnavailableError);
        expect(publish.ms).toBeLessThan(1_000);
        await expect(cutBus.ping()).rejects.toBeInstanceOf(BusUnavailableError);
        await restore();
        await expect.poll(() => cutBus.isConnected(), { timeout: 15_000 }).toBe(true);
        const sub = cutBus.subscribe(cutBus.subjects.command('ins_back', 'status'), (m) =>
          m.respond(encode('back')),
        );
        expect(
          decode(
            await cutBus.request(cutBus.subjects.command('ins_back', 'status'), encode({}), {
              timeoutMs: 5_000,
            }),
          ),
        ).toBe('back');
        sub.unsubscribe();
      });
    });

    describe('worker registry', () => {
      it('puts, gets, lists in key order and deletes', async () => {
        const { registry } = bus;
        await registry.put('w-b', '{"n":2}');
        await registry.put('w-a', '{"n":1}');
        await registry.put('w-a', '{"n":3}');
        expect(await registry.get('w-a')).toBe('{"n":3}');
        expect(await registry.get('w-none')).toBeNull();
        expect(await registry.list()).toEqual([
          { key: 'w-a', value: '{"n":3}' },
          { key: 'w-b', value: '{"n":2}' },
        ]);
        await registry.delete('w-a');
        await registry.delete('w-never');
        expect(await registry.get('w-a')).toBeNull();
        expect((await registry.list()).map((e) => e.key)).toEqual(['w-b']);
        await registry.delete('w-b');
      });

      it('forgets an entry that is not put again within the TTL, keeps one that is', async () => {
        // Its own prefix: a NATS KV bucket keeps the TTL it was created with.
        const short = await open({ registryTtlMs: 1_500, prefix: `r${randomBytes(4).toString('hex')}` });
        await short.registry.put('w-dead', 'x');
        await short.registry.put('w-alive', 'y');
        const beat = setInterval(() => void short.registry.put('w-alive', 'y').catch(() => {}), 300);
        try {
          await expect
            .poll(() => short.registry.get('w-dead'), { timeout: 15_000, interval: 200 })
            .toBeNull();
          expect(await short.registry.get('w-alive')).toBe('y');
          expect((await short.registry.list()).map((e) => e.key)).toEqual(['w-alive']);
        } finally {
          clearInterval(beat);
          await short.registry.delete('w-alive');
        }
      });
    });

    describe('event log', () => {
      it('stores an event once when it is published twice (same seq, duplicate flagged)', async () => {
        const e = event(customerId());
        const first = await bus.publishEvent(e);
        const again = await bus.publishEvent(e);
        expect(first.duplicate).toBe(false);
        expect(again).toEqual({ seq: first.seq, duplicate: true });
        const concurrent = event(customerId());
        const results = await Promise.all([bus.publishEvent(concurrent), bus.publishEvent(concurrent)]);
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(results[0]!.seq).toBe(results[1]!.seq);
      });

      it('gives every event a higher seq than the one published before it', async () => {
        const customer = customerId();
        const results = await Promise.all(
          Array.from({ length: 20 }, () => bus.publishEvent(event(customer))),
        );
        const seqs = results.map((r) => r.seq);
        expect(new Set(seqs).size).toBe(20);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      });

      it('delivers to a durable consumer in order, in batches, redelivers what is not acked after the ack wait', async () => {
        const name = consumerName();
        const local = await open();
        await local.ensureConsumer(name, { ackWaitMs: 1_000 });
        const customer = customerId();
        const published: EventEnvelope[] = Array.from({ length: 30 }, () => event(customer));
        for (const e of published) await local.publishEvent(e);
        expect((await local.consumerLag(name)).pending).toBeGreaterThanOrEqual(30);
        const messages = await local.consume(name, { ackWaitMs: 1_000, maxMessages: 10 });
        const iterator = messages[Symbol.asyncIterator]();
        const mine = async (count: number, timeoutMs = 10_000) => {
          const out: ConsumedEvent[] = [];
          while (out.length < count) {
            const got = await take(iterator, 1, timeoutMs);
            if (got.length === 0) break;
            const m = got[0]!;
            if (decodeEvent(m.data).customer_id === customer) out.push(m);
            else m.ack();
          }
          return out;
        };
        const first = await mine(30);
        expect(first.map((m) => decodeEvent(m.data).id)).toEqual(published.map((e) => e.id));
        expect(first.map((m) => m.seq)).toEqual([...first.map((m) => m.seq)].sort((a, b) => a - b));
        expect(first[0]!.subject).toBe(local.subjects.event(customer, 'ins_a', 'message.received'));
        const unacked = new Set([first[3]!.seq, first[17]!.seq]);
        for (const m of first) if (!unacked.has(m.seq)) m.ack();
        const again = await mine(2);
        expect(new Set(again.map((m) => m.seq))).toEqual(unacked);
        for (const m of again) m.ack();
        expect(await mine(1, 2_000)).toEqual([]);
        await expect.poll(async () => (await local.consumerLag(name)).ackPending).toBe(0);
        messages.stop();
      });

      it('nak redelivers, term never does', async () => {
        const name = consumerName();
        await bus.ensureConsumer(name, { ackWaitMs: 30_000 });
        const customer = customerId();
        const a = event(customer);
        const b = event(customer);
        await bus.publishEvent(a);
        await bus.publishEvent(b);
        const messages = await bus.consume(name, { ackWaitMs: 30_000 });
        const iterator = messages[Symbol.asyncIterator]();
        const seen: string[] = [];
        // a is refused once, then acknowledged when it comes again; b is terminated.
        while (seen.filter((id) => id === a.id).length < 2 || !seen.includes(b.id)) {
          const [m] = await take(iterator, 1);
          if (!m) break;
          const e = decodeEvent(m.data);
          if (e.customer_id !== customer) {
            m.ack();
            continue;
          }
          seen.push(e.id);
          if (e.id === b.id) m.term();
          else if (seen.filter((id) => id === a.id).length === 1) m.nak(0);
          else m.ack();
        }
        expect(seen[0]).toBe(a.id);
        expect(seen.filter((id) => id === a.id)).toHaveLength(2);
        expect(seen.filter((id) => id === b.id)).toHaveLength(1);
        expect(await take(iterator, 1, 1_500)).toEqual([]);
        messages.stop();
      });

      it('a consumer that restarts (new bus instance) gets what it had not acked, and nothing it had', async () => {
        const name = consumerName();
        const before = await open();
        await before.ensureConsumer(name, { ackWaitMs: 1_000 });
        const customer = customerId();
        const published = Array.from({ length: 6 }, () => event(customer));
        for (const e of published) await before.publishEvent(e);
        const messages = await before.consume(name, { ackWaitMs: 1_000 });
        const iterator = messages[Symbol.asyncIterator]();
        const acked = new Set<string>();
        let handled = 0;
        while (handled < 6) {
          const [m] = await take(iterator, 1);
          if (!m) break;
          const e = decodeEvent(m.data);
          if (e.customer_id !== customer) {
            m.ack();
            continue;
          }
          handled++;
          // Ack 1st, 2nd, 4th and 6th; leave the 3rd and 5th unacknowledged as a crash would.
          if ([0, 1, 3, 5].includes(published.findIndex((p) => p.id === e.id))) {
            m.ack();
            acked.add(e.id);
          }
        }
        expect(handled).toBe(6);
        await new Promise((resolve) => setTimeout(resolve, 200));
        messages.stop();
        await before.close();

        const after = await open();
        await after.ensureConsumer(name, { ackWaitMs: 1_000 });
        const resumed = await after.consume(name, { ackWaitMs: 1_000 });
        const again = (await take(resumed[Symbol.asyncIterator](), 20, 4_000))
          .map((m) => decodeEvent(m.data))
          .filter((e) => e.customer_id === customer)
          .map((e) => e.id);
        expect(new Set(again)).toEqual(new Set([published[2]!.id, published[4]!.id]));
        resumed.stop();
      });

      it('does not hand one event to the consumer twice while it is unacknowledged within the ack wait', async () => {
        const name = consumerName();
        await bus.ensureConsumer(name, { ackWaitMs: 20_000 });
        const customer = customerId();
        for (let i = 0; i < 5; i++) await bus.publishEvent(event(customer));
        const messages: ConsumedEvents = await bus.consume(name, { ackWaitMs: 20_000 });
        const got = (await take(messages[Symbol.asyncIterator](), 10_000, 3_000)).filter(
          (m) => decodeEvent(m.data).customer_id === customer,
        );
        expect(got).toHaveLength(5);
        messages.stop();
      });
    });

    describe('customer feed', () => {
      let a: string;
      let b: string;
      const seqs: { customer: string; seq: number; id: string }[] = [];
      let between = '';
      beforeAll(async () => {
        a = customerId();
        b = customerId();
        for (const customer of [a, b, a]) {
          const e = event(customer);
          seqs.push({ customer, id: e.id, ...(await bus.publishEvent(e)) });
        }
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        between = new Date().toISOString();
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        for (const customer of [b, a]) {
          const e = event(customer);
          seqs.push({ customer, id: e.id, ...(await bus.publishEvent(e)) });
        }
      });

      const read = async (feed: EventFeed, count: number, timeoutMs = 5_000) => {
        const events = await take<FeedEvent>(feed[Symbol.asyncIterator](), count, timeoutMs);
        await feed.close();
        return events;
      };

      it('starts after a sequence and shows only that customer’s events, in order', async () => {
        const feed = await bus.openFeed(a, { afterSeq: seqs[0]!.seq });
        const events = await read(feed, 2);
        expect(events.map((e) => e.event.id)).toEqual([seqs[2]!.id, seqs[4]!.id]);
        expect(events.map((e) => e.seq)).toEqual([seqs[2]!.seq, seqs[4]!.seq]);
        expect(events.every((e) => e.event.customer_id === a)).toBe(true);
        expect(await read(await bus.openFeed(a, { afterSeq: seqs[0]!.seq }), 3, 1_500)).toHaveLength(2);
      });

      it('starts at a time', async () => {
        const events = await read(await bus.openFeed(b, { since: between }), 2, 2_000);
        expect(events.map((e) => e.event.id)).toEqual([seqs[3]!.id]);
      });

      it('"new" sends only events published after it opened, live', async () => {
        const feed = await bus.openFeed(a, 'new');
        const iterator = feed[Symbol.asyncIterator]();
        const next = take<FeedEvent>(iterator, 1, 5_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await bus.publishEvent(event(b));
        const live = event(a);
        const { seq } = await bus.publishEvent(live);
        const [got] = await next;
        expect(got).toEqual({ seq, event: live });
        await feed.close();
      });

      it('refuses a customer id that would widen the filter', async () => {
        for (const hostile of ['*', '>', `${a}.>`, 'a.b', '', 'x'.repeat(200), 'cus a'])
          await expect(bus.openFeed(hostile, 'new')).rejects.toThrow(/not usable/);
      });

      it('ends the iteration when closed', async () => {
        const feed = await bus.openFeed(a, 'new');
        const pending = take<FeedEvent>(feed[Symbol.asyncIterator](), 1, 10_000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const started = Date.now();
        await feed.close();
        expect(await pending).toEqual([]);
        expect(Date.now() - started).toBeLessThan(5_000);
      });
    });
  });
}
