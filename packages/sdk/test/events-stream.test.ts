// client.events.stream() against a real test gateway: live events, resume after the last one seen, a refused
// key ends the loop with the API error, and the signal ends it cleanly.
import { makeEvent, newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../services/gateway/test/harness.ts';
import { createClient, type StreamedEvent, WhatIsUpApiError, type WhatIsUpClient } from '../src/index.ts';

let gw: TestGateway;
let customerId: string;
let client: WhatIsUpClient;
const instanceId = newId('instance');

function appFetch(): typeof fetch {
  return async (input, init) => gw.app.request(String(input), init);
}

function publish(text: string) {
  return gw.bus.publishEvent(
    makeEvent('qr.updated', { customerId, instanceId }, { status: 'qr_required', qr: text, expires_at: 'x' }),
  );
}

/** Reads `count` events, publishing `publishAfterOpen` once the connection is open. */
async function take(
  count: number,
  options: { lastEventId?: string; publishAfterOpen?: string[] } = {},
): Promise<StreamedEvent[]> {
  const controller = new AbortController();
  const received: StreamedEvent[] = [];
  for await (const streamed of client.events.stream({
    signal: controller.signal,
    ...(options.lastEventId ? { lastEventId: options.lastEventId } : {}),
    onOpen: () => {
      void (async () => {
        for (const text of options.publishAfterOpen ?? []) await publish(text);
      })();
    },
  })) {
    received.push(streamed);
    if (received.length === count) controller.abort();
  }
  return received;
}

beforeAll(async () => {
  gw = await startTestGateway({ standInWorker: false });
  const customer = await gw.customer('Streamer');
  customerId = customer.id;
  client = createClient({ baseUrl: 'http://gateway.test', apiKey: customer.key, fetch: appFetch() });
});
afterAll(() => gw?.close());

describe('client.events.stream', () => {
  it('yields live events with their stream ids, and resumes after lastEventId', async () => {
    const first = await take(2, { publishAfterOpen: ['a', 'b'] });
    expect(first.map((item) => (item.event.data as { qr?: string }).qr)).toEqual(['a', 'b']);
    expect(first[0]!.event).toMatchObject({
      type: 'qr.updated',
      customer_id: customerId,
      instance_id: instanceId,
    });
    expect(Number(first[1]!.id)).toBeGreaterThan(Number(first[0]!.id));

    await publish('c');
    const resumed = await take(1, { lastEventId: first[1]!.id });
    expect((resumed[0]!.event.data as { qr?: string }).qr).toBe('c');
  });

  it('ends with the API error when the key is refused (no reconnect loop)', async () => {
    const refused = createClient({ baseUrl: 'http://gateway.test', apiKey: 'wiu_wrong', fetch: appFetch() });
    const error = await (async () => {
      for await (const _ of refused.events.stream()) break;
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WhatIsUpApiError);
    expect((error as WhatIsUpApiError).status).toBe(401);
  });
});
