import { newId } from '@whatisup/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './harness.ts';

let gw: TestGateway;
let alice: { id: string; key: string; keyId: string };
let bob: { id: string; key: string; keyId: string };
let aliceEndpoint: string;
let aliceOther: string;
let bobEndpoint: string;

async function endpoint(key: string): Promise<string> {
  const res = await gw.request('/v1/webhook-endpoints', {
    method: 'POST',
    key,
    json: { url: 'https://hooks.example.com/whatisup' },
  });
  expect(res.status).toBe(201);
  return (await res.json()).id;
}

async function seedDelivery(
  customerId: string,
  endpointId: string,
  fields: {
    status?: string;
    type?: string;
    createdAt?: string;
    error?: string;
    responseStatus?: number;
  } = {},
): Promise<{ id: string; eventId: string }> {
  const id = newId('webhookDelivery');
  const eventId = newId('event');
  const type = fields.type ?? 'message.received';
  await gw.dbHandle.sql`
    insert into webhook_deliveries (id, customer_id, endpoint_id, event_id, event_type, payload, status, attempts,
      last_error, last_response_status, next_attempt_at, created_at)
    values (${id}, ${customerId}, ${endpointId}, ${eventId}, ${type},
      ${JSON.stringify({ id: eventId, type, customer_id: customerId, data: {} })}::jsonb,
      ${fields.status ?? 'pending'}, ${fields.status === 'failed' ? 6 : 0}, ${fields.error ?? null},
      ${fields.responseStatus ?? null}, ${fields.status === 'pending' || !fields.status ? new Date().toISOString() : null},
      ${fields.createdAt ?? new Date().toISOString()})`;
  return { id, eventId };
}

beforeAll(async () => {
  gw = await startTestGateway();
  alice = await gw.customer('Alice');
  bob = await gw.customer('Bob');
  aliceEndpoint = await endpoint(alice.key);
  aliceOther = await endpoint(alice.key);
  bobEndpoint = await endpoint(bob.key);
});
afterAll(() => gw.close());

describe('GET /v1/webhook-deliveries', () => {
  it('lists the customer’s deliveries newest first, filtered by status, endpoint, type and time, with cursors', async () => {
    const old = await seedDelivery(alice.id, aliceEndpoint, {
      status: 'failed',
      error: 'HTTP 500: the endpoint must answer 2xx',
      responseStatus: 500,
      createdAt: '2026-01-01T00:00:00Z',
    });
    const failed = await seedDelivery(alice.id, aliceEndpoint, {
      status: 'failed',
      error: 'timed out waiting for the response headers',
    });
    const delivered = await seedDelivery(alice.id, aliceOther, {
      status: 'delivered',
      type: 'instance.connected',
    });
    const pending = await seedDelivery(alice.id, aliceOther);
    await seedDelivery(bob.id, bobEndpoint, { status: 'failed' });

    const all = await (await gw.request('/v1/webhook-deliveries', { key: alice.key })).json();
    expect(all.data.map((d: { id: string }) => d.id)).toEqual([pending.id, delivered.id, failed.id, old.id]);

    const failedOnly = await (
      await gw.request('/v1/webhook-deliveries?status=failed', { key: alice.key })
    ).json();
    expect(failedOnly.data.map((d: { id: string }) => d.id)).toEqual([failed.id, old.id]);
    expect(failedOnly.data[1]).toMatchObject({
      endpoint_id: aliceEndpoint,
      event_id: old.eventId,
      status: 'failed',
      attempts: 6,
      last_error: 'HTTP 500: the endpoint must answer 2xx',
      last_response_status: 500,
      created_at: '2026-01-01T00:00:00.000Z',
    });
    expect(failedOnly.data[0].last_response_status).toBeNull();

    const byEndpoint = await (
      await gw.request(`/v1/webhook-deliveries?endpoint_id=${aliceOther}`, { key: alice.key })
    ).json();
    expect(byEndpoint.data.map((d: { id: string }) => d.id)).toEqual([pending.id, delivered.id]);

    const byType = await (
      await gw.request('/v1/webhook-deliveries?event_type=instance.connected', { key: alice.key })
    ).json();
    expect(byType.data.map((d: { id: string }) => d.id)).toEqual([delivered.id]);

    const since = await (
      await gw.request('/v1/webhook-deliveries?status=failed&since=2026-06-01T00:00:00Z', { key: alice.key })
    ).json();
    expect(since.data.map((d: { id: string }) => d.id)).toEqual([failed.id]);

    const page1 = await (await gw.request('/v1/webhook-deliveries?limit=3', { key: alice.key })).json();
    expect(page1.data).toHaveLength(3);
    const page2 = await (
      await gw.request(`/v1/webhook-deliveries?limit=3&cursor=${page1.next_cursor}`, { key: alice.key })
    ).json();
    expect(page2.data.map((d: { id: string }) => d.id)).toEqual([old.id]);
    expect(page2.next_cursor).toBeNull();

    const bobs = await (
      await gw.request(`/v1/webhook-deliveries?endpoint_id=${aliceEndpoint}`, { key: bob.key })
    ).json();
    expect(bobs.data).toEqual([]);
  });

  it.each([
    ['status=bogus', 'status'],
    ['endpoint_id=not-an-id', 'endpoint_id'],
    ['endpoint_id=ins_01jq0a3k5v7x9z2b4d6f8h0j2k', 'endpoint_id'],
    ["event_type=';drop table webhook_deliveries;--", 'event_type'],
    ['since=yesterday', 'since'],
    ['cursor=del_zzz', 'cursor'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['surprise=1', ''],
  ])('refuses ?%s with a validation error naming the field', async (query, path) => {
    const res = await gw.request(`/v1/webhook-deliveries?${query}`, { key: alice.key });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('validation_failed');
    if (path) expect(body.error.issues.map((i: { path: string }) => i.path)).toContain(`query.${path}`);
  });

  it('needs an API key', async () => {
    expect((await gw.request('/v1/webhook-deliveries')).status).toBe(401);
  });
});

describe('GET /v1/webhook-deliveries/:id', () => {
  it('returns the delivery with its payload and attempt log', async () => {
    const delivery = await seedDelivery(alice.id, aliceEndpoint, { status: 'failed', responseStatus: 503 });
    await gw.dbHandle.sql`
      insert into webhook_delivery_attempts (delivery_id, attempt, trigger, started_at, duration_ms, response_status,
        error_class, error_message, response_body)
      values (${delivery.id}, 1, 'scheduled', '2026-11-28T10:00:00Z', 12, 503, 'http_status', 'HTTP 503', 'busy'),
             (${delivery.id}, 2, 'scheduled', '2026-11-28T10:00:05Z', 5000, null, 'timeout', 'timed out', null)`;
    const res = await gw.request(`/v1/webhook-deliveries/${delivery.id}`, { key: alice.key });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ id: delivery.id, status: 'failed', payload: { id: delivery.eventId } });
    expect(body.attempt_log).toEqual([
      {
        attempt: 1,
        trigger: 'scheduled',
        started_at: '2026-11-28T10:00:00.000Z',
        duration_ms: 12,
        response_status: 503,
        error_class: 'http_status',
        error_message: 'HTTP 503',
        response_body: 'busy',
      },
      {
        attempt: 2,
        trigger: 'scheduled',
        started_at: '2026-11-28T10:00:05.000Z',
        duration_ms: 5000,
        response_status: null,
        error_class: 'timeout',
        error_message: 'timed out',
        response_body: null,
      },
    ]);
  });

  it('answers 404 for another customer’s delivery and for ids that are not delivery ids', async () => {
    const bobs = await seedDelivery(bob.id, bobEndpoint);
    for (const id of [bobs.id, 'del_nope', '..%2F..%2Fetc', aliceEndpoint, `${bobs.id}x`]) {
      const res = await gw.request(`/v1/webhook-deliveries/${id}`, { key: alice.key });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('not_found');
    }
  });
});

describe('POST /v1/webhook-deliveries/:id/retry', () => {
  it('queues one manual attempt now, even for a failed delivery, and audits it', async () => {
    const delivery = await seedDelivery(alice.id, aliceEndpoint, { status: 'failed', responseStatus: 500 });
    const res = await gw.request(`/v1/webhook-deliveries/${delivery.id}/retry`, {
      method: 'POST',
      key: alice.key,
      headers: { 'X-Correlation-Id': 'retry-test-1' },
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ id: delivery.id, status: 'pending', attempts: 6 });
    expect(Date.parse(body.next_attempt_at)).toBeLessThanOrEqual(Date.now() + 1_000);
    const [row] = await gw.dbHandle
      .sql`select next_trigger from webhook_deliveries where id = ${delivery.id}`;
    expect(row!.next_trigger).toBe('manual');
    const audit = await (
      await gw.request(`/v1/audit-events?target_id=${delivery.id}`, { key: alice.key })
    ).json();
    expect(audit.data[0]).toMatchObject({
      action: 'webhook_delivery.retry',
      target: { type: 'webhook_delivery', id: delivery.id },
      correlation_id: 'retry-test-1',
    });
  });

  it('answers 409 while an attempt is in flight', async () => {
    const delivery = await seedDelivery(alice.id, aliceEndpoint);
    await gw.dbHandle.sql`
      update webhook_deliveries set lease_expires_at = now() + interval '1 minute' where id = ${delivery.id}`;
    const res = await gw.request(`/v1/webhook-deliveries/${delivery.id}/retry`, {
      method: 'POST',
      key: alice.key,
    });
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('conflict');
  });

  it('answers 404 for another customer’s delivery and changes nothing', async () => {
    const bobs = await seedDelivery(bob.id, bobEndpoint, { status: 'failed' });
    const res = await gw.request(`/v1/webhook-deliveries/${bobs.id}/retry`, {
      method: 'POST',
      key: alice.key,
    });
    expect(res.status).toBe(404);
    const [row] = await gw.dbHandle.sql`select status from webhook_deliveries where id = ${bobs.id}`;
    expect(row!.status).toBe('failed');
    expect(
      (await gw.request('/v1/webhook-deliveries/del_x/retry', { method: 'POST', key: alice.key })).status,
    ).toBe(404);
  });
});

describe('POST /v1/webhook-endpoints/:id/test', () => {
  it('creates a webhook.test delivery for that endpoint only, due now, and audits it', async () => {
    const res = await gw.request(`/v1/webhook-endpoints/${aliceEndpoint}/test`, {
      method: 'POST',
      key: alice.key,
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({ endpoint_id: aliceEndpoint, event_type: 'webhook.test', status: 'pending' });
    const detail = await (await gw.request(`/v1/webhook-deliveries/${body.id}`, { key: alice.key })).json();
    expect(detail.payload).toMatchObject({
      id: body.event_id,
      type: 'webhook.test',
      customer_id: alice.id,
      instance_id: null,
      data: { endpoint_id: aliceEndpoint },
    });
    const [row] = await gw.dbHandle.sql`select next_trigger from webhook_deliveries where id = ${body.id}`;
    expect(row!.next_trigger).toBe('test');
    const listed = await (
      await gw.request('/v1/webhook-deliveries?event_type=webhook.test', { key: alice.key })
    ).json();
    expect(listed.data.map((d: { id: string }) => d.id)).toContain(body.id);
    const audit = await (
      await gw.request(`/v1/audit-events?target_id=${aliceEndpoint}`, { key: alice.key })
    ).json();
    expect(audit.data[0]).toMatchObject({
      action: 'webhook_endpoint.test',
      metadata: { delivery_id: body.id },
    });
  });

  it('answers 409 for a paused endpoint', async () => {
    const id = await endpoint(alice.key);
    expect(
      (await gw.request(`/v1/webhook-endpoints/${id}/pause`, { method: 'POST', key: alice.key })).status,
    ).toBe(200);
    const res = await gw.request(`/v1/webhook-endpoints/${id}/test`, { method: 'POST', key: alice.key });
    expect(res.status).toBe(409);
    expect((await res.json()).error.message).toMatch(/paused/);
  });

  it('answers 404 for another customer’s endpoint and malformed ids', async () => {
    for (const id of [bobEndpoint, 'whe_nope', 'del_01jq0a3k5v7x9z2b4d6f8h0j2k']) {
      const res = await gw.request(`/v1/webhook-endpoints/${id}/test`, { method: 'POST', key: alice.key });
      expect(res.status).toBe(404);
    }
    const [count] = await gw.dbHandle.sql`
      select count(*)::int as n from webhook_deliveries where endpoint_id = ${bobEndpoint} and event_type = 'webhook.test'`;
    expect(count!.n).toBe(0);
  });
});
