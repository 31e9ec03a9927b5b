// The retry schedule and attempt outcomes: exact attempts and spacing, the sixth failure is final, manual
// retry, Retry-After, redirects, 410 Gone, timeouts and refused connections, each in the attempt log.
import { notifyDeliveriesDue, requestManualRetry } from '@whatisup/db';
import { describe, expect, it } from 'vitest';
import {
  attemptRows,
  deliveryRows,
  freshWorldEachTest,
  receiver,
  startReceiver,
  waitFor,
  world,
} from './fixture.ts';

freshWorldEachTest();

async function settled(endpointId: string, status: string) {
  return waitFor(async () => {
    const [row] = await deliveryRows(world, { endpointId });
    return row?.status === status ? row : null;
  });
}

describe('retry schedule', () => {
  it('a receiver that fails 3 times then succeeds: 4 attempts, spaced by the schedule, then delivered', async () => {
    const schedule = [0, 200, 400, 600, 800, 1000];
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = (_r, count) =>
      count < 3 ? { status: 500, body: 'x'.repeat(3000) } : { status: 200, body: 'ok' };
    await world.start({ scheduleMs: schedule });
    const event = await world.publish(customer);
    const row = await settled(endpoint.id, 'delivered');
    expect(row.attempts).toBe(4);
    expect(row.last_response_status).toBe(200);
    expect(row.last_error).toBeNull();

    const got = receiver.byEventId(event.id);
    expect(got).toHaveLength(4);
    for (let i = 1; i < got.length; i++) {
      const gap = got[i]!.at - got[i - 1]!.at;
      expect(gap).toBeGreaterThanOrEqual(schedule[i]! - 20);
      expect(gap).toBeLessThan(schedule[i]! + 1_500);
    }
    const attempts = await attemptRows(world, row.id);
    expect(attempts.map((a) => [a.attempt, a.trigger, a.response_status, a.error_class])).toEqual([
      [1, 'scheduled', 500, 'http_status'],
      [2, 'scheduled', 500, 'http_status'],
      [3, 'scheduled', 500, 'http_status'],
      [4, 'scheduled', 200, null],
    ]);
    expect(attempts[0]!.response_body).toBe('x'.repeat(1024));
    expect(attempts[0]!.error_message).toMatch(/HTTP 500/);
    expect(attempts[3]!.response_body).toBe('ok');
    for (const a of attempts) expect(a.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('six failures make the delivery failed with no seventh attempt; a manual retry then delivers', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    let failing = true;
    receiver.reply = () => (failing ? { status: 500 } : { status: 204 });
    await world.start();
    const event = await world.publish(customer);
    const row = await settled(endpoint.id, 'failed');
    expect(row.attempts).toBe(6);
    expect(row.last_response_status).toBe(500);
    expect(row.last_error).toMatch(/HTTP 500/);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(receiver.byEventId(event.id)).toHaveLength(6);
    expect((await deliveryRows(world))[0]!.attempts).toBe(6);

    failing = false;
    const retry = await requestManualRetry(world.db.db, customer.id, row.id);
    expect(retry.ok).toBe(true);
    await notifyDeliveriesDue(world.db.db);
    const done = await settled(endpoint.id, 'delivered');
    expect(done.attempts).toBe(7);
    expect(receiver.byEventId(event.id)).toHaveLength(7);
    const attempts = await attemptRows(world, row.id);
    expect(attempts.map((a) => a.trigger)).toEqual([...Array(6).fill('scheduled'), 'manual']);
  });

  it('a failed manual retry leaves the delivery failed, with no automatic attempt after it', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = () => ({ status: 502 });
    await world.start();
    const event = await world.publish(customer);
    const row = await settled(endpoint.id, 'failed');
    await requestManualRetry(world.db.db, customer.id, row.id);
    await notifyDeliveriesDue(world.db.db);
    await waitFor(() => receiver.byEventId(event.id).length === 7);
    await settled(endpoint.id, 'failed');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.byEventId(event.id)).toHaveLength(7);
  });

  it('honours Retry-After on 429 and 503 within the schedule', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = (_r, count) =>
      count === 0
        ? { status: 429, headers: { 'retry-after': '1' } }
        : count === 1
          ? { status: 503, headers: { 'retry-after': '1' } }
          : { status: 200 };
    await world.start({ scheduleMs: [0, 50, 100, 150, 200, 5_000] });
    const event = await world.publish(customer);
    await settled(endpoint.id, 'delivered');
    const got = receiver.byEventId(event.id);
    expect(got).toHaveLength(3);
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(980);
    expect(got[2]!.at - got[1]!.at).toBeGreaterThanOrEqual(980);
  });

  it('caps Retry-After at the longest delay of the schedule', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = (_r, count) =>
      count === 0 ? { status: 503, headers: { 'retry-after': '86400' } } : { status: 200 };
    await world.start({ scheduleMs: [0, 50, 100, 150, 200, 300] });
    const event = await world.publish(customer);
    await settled(endpoint.id, 'delivered');
    const got = receiver.byEventId(event.id);
    expect(got[1]!.at - got[0]!.at).toBeLessThan(2_000);
  });
});

describe('attempt outcomes', () => {
  it('treats a redirect as a failure and never follows it', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = () => ({
      status: 302,
      headers: { location: `http://127.0.0.1:${receiver.port}/elsewhere` },
    });
    await world.start({ scheduleMs: [0, 50] });
    await world.publish(customer);
    const row = await settled(endpoint.id, 'failed');
    expect(row.last_response_status).toBe(302);
    expect(row.last_error).toMatch(/redirects are not followed/);
    expect(receiver.received.every((r) => r.headers.host && !String(r.body).includes('elsewhere'))).toBe(
      true,
    );
    expect(receiver.received).toHaveLength(2);
  });

  it('disables the endpoint on 410 Gone, with a reason, and sends it nothing more', async () => {
    const customer = await world.customer();
    const endpoint = await world.endpoint(customer.id, receiver.url);
    receiver.reply = () => ({ status: 410 });
    await world.start();
    await world.publish(customer);
    const [disabled] = await waitFor(async () => {
      const rows = await world.db.sql<{ disabled_at: string | null; disabled_reason: string | null }[]>`
        select disabled_at, disabled_reason from webhook_endpoints where id = ${endpoint.id}`;
      return rows[0]?.disabled_at ? rows : null;
    });
    expect(disabled!.disabled_reason).toMatch(/410 Gone/);
    await world.publish(customer);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received).toHaveLength(1);
    const rows = await deliveryRows(world);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.last_response_status).toBe(410);
  });

  it('records timeouts and refused connections as failed attempts with their class', async () => {
    const customer = await world.customer();
    const slow = await world.endpoint(customer.id, receiver.url);
    const closed = await startReceiver();
    const closedUrl = closed.url;
    await closed.close();
    const refused = await world.endpoint(customer.id, closedUrl);
    receiver.reply = () => ({ status: 200, delayMs: 1_500 });
    await world.start({ scheduleMs: [0], responseTimeoutMs: 500 });
    await world.publish(customer);
    const slowRow = await settled(slow.id, 'failed');
    const refusedRow = await settled(refused.id, 'failed');
    expect((await attemptRows(world, slowRow.id))[0]).toMatchObject({
      error_class: 'timeout',
      response_status: null,
    });
    expect(slowRow.last_error).toMatch(/timed out/);
    expect((await attemptRows(world, refusedRow.id))[0]).toMatchObject({ error_class: 'connection_refused' });
  });
});

describe('fairness', () => {
  it('a slow endpoint does not delay another one', async () => {
    const slowReceiver = await startReceiver();
    try {
      slowReceiver.reply = () => ({ status: 200, delayMs: 3_000 });
      const customer = await world.customer();
      await world.endpoint(customer.id, slowReceiver.url);
      const fast = await world.endpoint(customer.id, receiver.url);
      await world.start({
        endpointConcurrency: 2,
        concurrency: 8,
        responseTimeoutMs: 5_000,
        leaseMs: 12_000,
      });
      const started = Date.now();
      for (let i = 0; i < 30; i++) await world.publish(customer);
      await waitFor(
        async () =>
          (await deliveryRows(world, { endpointId: fast.id })).every((r) => r.status === 'delivered') &&
          receiver.received.length === 30,
        10_000,
      );
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(slowReceiver.received.length).toBeLessThanOrEqual(2);
    } finally {
      await slowReceiver.close();
    }
  });
});
