// GET /v1/events/stream: authenticated SSE of the customer's own events from JetStream, resumable by
// Last-Event-ID, with heartbeats, one rate-limit token per connection, and no consumer left behind.
import { makeEvent, newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let alice: { id: string; key: string };
let bob: { id: string; key: string };
const aliceInstance = newId('instance');
const bobInstance = newId('instance');

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads SSE messages (and comment lines) off a streaming response. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: SseMessage[] = [];
  async function next(timeoutMs = 5_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const block = buffer.indexOf('\n\n');
      if (block >= 0) {
        const text = buffer.slice(0, block);
        buffer = buffer.slice(block + 2);
        const message: SseMessage = {};
        for (const line of text.split('\n')) {
          if (line.startsWith(':')) message.comment = line.slice(1).trim();
          else {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id' || field === 'event' || field === 'data') message[field] = value;
          }
        }
        queue.push(message);
      }
      const first = queue.shift();
      if (first) return first;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error('no SSE message in time');
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('no SSE message in time')), remaining),
        ),
      ]);
      if (chunk.done) throw new Error('stream ended');
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  }
  /** The next message that is an event (skipping the greeting and heartbeats). */
  async function nextEvent(timeoutMs = 5_000): Promise<SseMessage> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const message = await next(Math.max(1, deadline - Date.now()));
      if (message.event) return message;
    }
  }
  return { next, nextEvent, cancel: () => reader.cancel() };
}

function publish(
  customerId: string,
  instanceId: string,
  type: 'qr.updated' | 'instance.connected',
  data = {},
) {
  const event = makeEvent(type, { customerId, instanceId }, { status: 'qr_required', ...data });
  return gw.bus.publishEvent(event).then((ack) => ({ event, seq: ack.seq }));
}

function open(
  key: string | undefined,
  init: { headers?: Record<string, string>; query?: string; signal?: AbortSignal } = {},
) {
  return gw.request(`/v1/events/stream${init.query ?? ''}`, {
    ...(key ? { key } : {}),
    headers: init.headers ?? {},
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function consumerCount(): Promise<number> {
  return (await gw.bus.jsm.streams.info(gw.bus.subjects.eventStream)).state.consumer_count;
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  gw = await startTestGateway({ standInWorker: false, config: { eventStreamHeartbeatMs: 200 } });
  alice = await gw.customer('Alice');
  bob = await gw.customer('Bob');
});
afterAll(async () => {
  await gw?.close();
});

describe('happy path', () => {
  it('streams new events with id = stream sequence, event = type, data = the envelope', async () => {
    const res = await open(alice.key);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const sse = sseReader(res as unknown as Response);
    expect((await sse.next()).comment).toBe('connected');
    const { event, seq } = await publish(alice.id, aliceInstance, 'qr.updated', {
      qr: '2@abc',
      expires_at: 'x',
    });
    const message = await sse.nextEvent();
    expect(message.id).toBe(String(seq));
    expect(message.event).toBe('qr.updated');
    expect(JSON.parse(message.data!)).toEqual(event);
    await sse.cancel();
  });

  it('without Last-Event-ID or since, sends only events published after it opened', async () => {
    await publish(alice.id, aliceInstance, 'qr.updated', { qr: 'old' });
    const sse = sseReader((await open(alice.key)) as unknown as Response);
    await sse.next();
    const { event } = await publish(alice.id, aliceInstance, 'qr.updated', { qr: 'new' });
    expect(JSON.parse((await sse.nextEvent()).data!).id).toBe(event.id);
    await sse.cancel();
  });

  it('resumes right after Last-Event-ID', async () => {
    const first = await publish(alice.id, aliceInstance, 'qr.updated', { qr: 'r1' });
    const second = await publish(alice.id, aliceInstance, 'qr.updated', { qr: 'r2' });
    const third = await publish(alice.id, aliceInstance, 'instance.connected', { status: 'connected' });
    const sse = sseReader(
      (await open(alice.key, { headers: { 'Last-Event-ID': String(first.seq) } })) as unknown as Response,
    );
    const a = await sse.nextEvent();
    const b = await sse.nextEvent();
    expect([a.id, b.id]).toEqual([String(second.seq), String(third.seq)]);
    expect(JSON.parse(b.data!).id).toBe(third.event.id);
    await sse.cancel();
  });

  it('?since= replays from that time', async () => {
    const before = new Date(Date.now() - 1).toISOString();
    const { event } = await publish(alice.id, aliceInstance, 'qr.updated', { qr: 'since' });
    const sse = sseReader(
      (await open(alice.key, { query: `?since=${encodeURIComponent(before)}` })) as unknown as Response,
    );
    expect(JSON.parse((await sse.nextEvent()).data!).id).toBe(event.id);
    await sse.cancel();
  });

  it('sends a heartbeat comment while idle', async () => {
    const sse = sseReader((await open(alice.key)) as unknown as Response);
    expect((await sse.next()).comment).toBe('connected');
    expect((await sse.next(2_000)).comment).toBe('heartbeat');
    await sse.cancel();
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await (await gw.request('/openapi.json')).json();
    expect(doc.paths['/v1/events/stream'].get.responses['200'].content).toHaveProperty(['text/event-stream']);
  });
});

describe('errors', () => {
  it('401 without an API key', async () => {
    const res = await open(undefined);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('400 for a Last-Event-ID that is not a sequence', async () => {
    const res = await open(alice.key, { headers: { 'Last-Event-ID': 'evt_abc' } });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('validation_failed');
  });

  it('400 for a malformed since', async () => {
    const res = await open(alice.key, { query: '?since=yesterday' });
    expect(res.status).toBe(400);
  });
});

describe('security', () => {
  it("never sends another customer's events, even when resuming from sequence 0", async () => {
    const bobSse = sseReader(
      (await open(bob.key, { headers: { 'Last-Event-ID': '0' } })) as unknown as Response,
    );
    await publish(alice.id, aliceInstance, 'qr.updated', { qr: 'alice-only' });
    const bobs = await publish(bob.id, bobInstance, 'qr.updated', { qr: 'bob' });
    const received = await bobSse.nextEvent();
    expect(JSON.parse(received.data!)).toMatchObject({ id: bobs.event.id, customer_id: bob.id });
    await bobSse.cancel();
  });

  it('takes one rate-limit token per connection, however many events it carries', async () => {
    const limited = await startTestGateway({
      standInWorker: false,
      config: { rateLimit: { burst: 2, perSecond: 0.001 } },
    });
    try {
      const carol = await limited.customer('Carol');
      const res = await limited.request('/v1/events/stream', { key: carol.key });
      expect(res.headers.get('ratelimit')).toMatch(/r=1\b/);
      const sse = sseReader(res as unknown as Response);
      await sse.next();
      for (let i = 0; i < 5; i++) {
        await limited.bus.publishEvent(
          makeEvent(
            'qr.updated',
            { customerId: carol.id, instanceId: aliceInstance },
            { status: 'qr_required' },
          ),
        );
        await sse.nextEvent();
      }
      const after = await limited.request('/v1/instances', { key: carol.key });
      expect(after.status).toBe(200);
      await sse.cancel();
    } finally {
      await limited.close();
    }
  });

  it('removes its consumer when the client goes away', async () => {
    await until(async () => (await consumerCount()) === 0);
    const controller = new AbortController();
    const sse = sseReader((await open(alice.key, { signal: controller.signal })) as unknown as Response);
    await sse.next();
    expect(await consumerCount()).toBe(1);
    controller.abort();
    await sse.cancel().catch(() => {});
    await until(async () => (await consumerCount()) === 0);
  });
});
