// The client end to end against a real test gateway (Postgres, Redis, NATS, a stand-in session worker).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../services/gateway/test/harness.ts';
import {
  createClient,
  signWebhook,
  verifyWebhook,
  WhatIsUpApiError,
  type WhatIsUpClient,
} from '../src/index.ts';

const BASE_URL = 'http://gateway.test';

/** A fetch that hands each request to the app in process, as a server would. */
function appFetch(gw: TestGateway): typeof fetch {
  return async (input, init) => gw.app.request(String(input), init);
}

async function apiError(promise: Promise<unknown>): Promise<WhatIsUpApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WhatIsUpApiError);
  return error as WhatIsUpApiError;
}

let gw: TestGateway;
let client: WhatIsUpClient;

beforeAll(async () => {
  gw = await startTestGateway();
  const customer = await gw.customer('SDK');
  client = createClient({ baseUrl: `${BASE_URL}/`, apiKey: customer.key, fetch: appFetch(gw) });
});
afterAll(() => gw?.close());

describe('client: instances', () => {
  it('creates, gets, lists page by page and deletes', async () => {
    const created = await client.instances.create({ name: 'sdk-sales' });
    expect(created).toMatchObject({ name: 'sdk-sales', status: expect.any(String), phone: null });
    expect(created.id).toMatch(/^ins_/);
    expect(await client.instances.get(created.id)).toEqual(created);

    for (const name of ['sdk-b', 'sdk-c']) await client.instances.create({ name });
    const first = await client.instances.list({ limit: 2 });
    expect(first.data.map((instance) => instance.name)).toEqual(['sdk-sales', 'sdk-b']);
    expect(first.next_cursor).toBe(first.data[1]?.id);
    const second = await client.instances.list({ limit: 2, cursor: first.next_cursor! });
    expect(second.data.map((instance) => instance.name)).toEqual(['sdk-c']);
    expect(second.next_cursor).toBeNull();

    await expect(client.instances.delete(created.id)).resolves.toBeUndefined();
    const gone = await apiError(client.instances.get(created.id, { correlationId: 'sdk-corr-1' }));
    expect(gone).toMatchObject({ status: 404, code: 'not_found', correlationId: 'sdk-corr-1' });
  });

  it('turns API errors into WhatIsUpApiError with code, message, issues and correlation id', async () => {
    await client.instances.create({ name: 'sdk-dup' });
    const conflict = await apiError(client.instances.create({ name: 'sdk-dup' }));
    expect(conflict).toMatchObject({ status: 409, code: 'conflict', retryAfter: undefined });
    expect(conflict.message).toContain('sdk-dup');
    expect(conflict.correlationId).toEqual(expect.any(String));

    const invalid = await apiError(client.instances.create({ name: '' }));
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(invalid.issues?.map((issue) => issue.path)).toContain('body.name');

    const wrongKey = createClient({ baseUrl: BASE_URL, apiKey: 'wiu_nope', fetch: appFetch(gw) });
    expect(await apiError(wrongKey.instances.list())).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('records the changes in the audit log, with the correlation id it was given', async () => {
    const instance = await client.instances.create({ name: 'sdk-audited' }, { correlationId: 'sdk-corr-2' });
    const audit = await client.auditEvents.list({ target_id: instance.id, action: 'instance.create' });
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({
      action: 'instance.create',
      target: { type: 'instance', id: instance.id },
      correlation_id: 'sdk-corr-2',
    });
  });
});

describe('client: webhook endpoints', () => {
  it('creates, reads, updates, pauses, resumes, rotates and deletes', async () => {
    const created = await client.webhookEndpoints.create({
      url: 'https://example.com/whatisup',
      events: ['message.received'],
      description: 'CRM',
    });
    expect(created).toMatchObject({ status: 'active', events: ['message.received'], description: 'CRM' });
    expect(created.secret).toMatch(/^whsec_/);
    const { secret, ...withoutSecret } = created;
    expect(await client.webhookEndpoints.get(created.id)).toEqual(withoutSecret);
    expect((await client.webhookEndpoints.list()).data.map((endpoint) => endpoint.id)).toContain(created.id);

    const updated = await client.webhookEndpoints.update(created.id, { events: [], description: null });
    expect(updated).toMatchObject({ events: [], description: null });
    expect((await client.webhookEndpoints.pause(created.id)).status).toBe('paused');
    expect((await client.webhookEndpoints.resume(created.id)).status).toBe('active');

    const rotated = await client.webhookEndpoints.rotateSecret(created.id, { overlap_seconds: 3600 });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);
    expect(rotated.previous_secret_expires_at).not.toBeNull();

    // The secrets the API hands out are ones verifyWebhook takes: during the overlap, with either of them.
    const body = JSON.stringify({ id: 'evt_1', type: 'webhook.test' });
    const headers = signWebhook({ id: 'evt_1', body, secret: [rotated.secret, secret] });
    expect(verifyWebhook(body, headers, secret)).toEqual(JSON.parse(body));
    expect(verifyWebhook(body, headers, rotated.secret)).toEqual(JSON.parse(body));

    await expect(client.webhookEndpoints.delete(created.id)).resolves.toBeUndefined();
    expect(await apiError(client.webhookEndpoints.get(created.id))).toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });

  it('reports a refused URL as validation_failed on body.url', async () => {
    const refused = await apiError(client.webhookEndpoints.create({ url: 'http://127.0.0.1/hook' }));
    expect(refused).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(refused.issues?.[0]?.path).toBe('body.url');
  });
});

describe('client: rate limits and answers that are not the API', () => {
  it('exposes Retry-After on 429', async () => {
    const limited = await startTestGateway({ config: { rateLimit: { burst: 1, perSecond: 0.01 } } });
    try {
      const customer = await limited.customer('Limited');
      const limitedClient = createClient({
        baseUrl: BASE_URL,
        apiKey: customer.key,
        fetch: appFetch(limited),
      });
      await limitedClient.instances.list();
      const error = await apiError(limitedClient.instances.list());
      expect(error).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(error.retryAfter).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it('keeps status, correlation id and Retry-After of a non-JSON error (a proxy in between)', async () => {
    const proxied = createClient({
      baseUrl: BASE_URL,
      apiKey: 'wiu_x',
      fetch: async () =>
        new Response('<html>Bad Gateway</html>', {
          status: 502,
          statusText: 'Bad Gateway',
          headers: {
            'X-Correlation-Id': 'edge-1',
            'Retry-After': new Date(Date.now() + 30_000).toUTCString(),
          },
        }),
    });
    const error = await apiError(proxied.instances.list());
    expect(error).toMatchObject({ status: 502, code: 'http_error', correlationId: 'edge-1' });
    expect(error.message).toBe('HTTP 502 Bad Gateway');
    expect(error.retryAfter).toBeGreaterThanOrEqual(29);
    expect(error.retryAfter).toBeLessThanOrEqual(30);
  });

  it('sends the key, JSON, the Idempotency-Key and encoded path parameters', async () => {
    const seen: Request[] = [];
    const recording = createClient({
      baseUrl: 'http://api.test/base/',
      apiKey: 'wiu_secret',
      fetch: async (input, init) => {
        seen.push(new Request(input, init));
        return Response.json({}, { status: 202 });
      },
    });
    await recording.messages.send(
      'ins_a/b',
      { to: '4915112345678', type: 'text', text: 'hi' },
      { idempotencyKey: 'k-1' },
    );
    const [request] = seen;
    expect(request?.url).toBe('http://api.test/base/v1/instances/ins_a%2Fb/messages');
    expect(request?.headers.get('Authorization')).toBe('Bearer wiu_secret');
    expect(request?.headers.get('Idempotency-Key')).toBe('k-1');
    expect(request?.headers.get('Content-Type')).toBe('application/json');
    expect(await request?.json()).toEqual({ to: '4915112345678', type: 'text', text: 'hi' });
  });
});
