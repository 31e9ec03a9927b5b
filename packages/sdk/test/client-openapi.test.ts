// The client against the gateway's own OpenAPI document: every method calls a documented operation, every
// documented operation has a method, and the objects' field names match the documented schemas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../services/gateway/test/harness.ts';
import {
  type AuditEvent,
  type CreateInstanceInput,
  type CreateWebhookEndpointInput,
  createClient,
  type Instance,
  type InstanceQr,
  type ListAuditEventsQuery,
  type ListMessagesQuery,
  type ListWebhookDeliveriesQuery,
  type Message,
  type PageQuery,
  type PairingCode,
  type RotateSecretInput,
  type SendMessageInput,
  type UpdateWebhookEndpointInput,
  type WebhookDelivery,
  type WebhookDeliveryAttempt,
  type WebhookDeliveryDetail,
  type WebhookEndpoint,
  type WebhookEndpointWithSecret,
  type WhatIsUpClient,
} from '../src/index.ts';

type Schema = { properties?: Record<string, unknown>; allOf?: Schema[]; $ref?: string };
type OpenApiDoc = {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  components: { schemas: Record<string, Schema> };
};

const ID = 'ins_01jq0a3k5v7x9z2b4d6f8h0j2k';
const MSG = 'msg_01jq0a3k5v7x9z2b4d6f8h0j2k';
const WHE = 'whe_01jq0a3k5v7x9z2b4d6f8h0j2k';
const DEL = 'del_01jq0a3k5v7x9z2b4d6f8h0j2k';

/** One call of every client method; the test fails when a method is added without a line here. */
const calls: Record<string, (client: WhatIsUpClient) => Promise<unknown>> = {
  'instances.create': (c) => c.instances.create({ name: 'n' }),
  'instances.list': (c) => c.instances.list({ limit: 5 }),
  'instances.get': (c) => c.instances.get(ID),
  'instances.delete': (c) => c.instances.delete(ID),
  'instances.qr': (c) => c.instances.qr(ID),
  'instances.qrPng': (c) => c.instances.qrPng(ID),
  'instances.pairingCode': (c) => c.instances.pairingCode(ID, { phone: '4915112345678' }),
  'instances.logout': (c) => c.instances.logout(ID),
  'instances.restart': (c) => c.instances.restart(ID),
  'messages.send': (c) => c.messages.send(ID, { to: '4915112345678', type: 'text', text: 'hi' }),
  'messages.list': (c) => c.messages.list(ID, { status: 'sent' }),
  'messages.get': (c) => c.messages.get(ID, MSG),
  'webhookEndpoints.create': (c) => c.webhookEndpoints.create({ url: 'https://example.com/hook' }),
  'webhookEndpoints.list': (c) => c.webhookEndpoints.list(),
  'webhookEndpoints.get': (c) => c.webhookEndpoints.get(WHE),
  'webhookEndpoints.update': (c) => c.webhookEndpoints.update(WHE, { description: null }),
  'webhookEndpoints.delete': (c) => c.webhookEndpoints.delete(WHE),
  'webhookEndpoints.pause': (c) => c.webhookEndpoints.pause(WHE),
  'webhookEndpoints.resume': (c) => c.webhookEndpoints.resume(WHE),
  'webhookEndpoints.rotateSecret': (c) => c.webhookEndpoints.rotateSecret(WHE, { overlap_seconds: 0 }),
  'webhookEndpoints.test': (c) => c.webhookEndpoints.test(WHE),
  'webhookDeliveries.list': (c) => c.webhookDeliveries.list({ status: 'failed' }),
  'webhookDeliveries.get': (c) => c.webhookDeliveries.get(DEL),
  'webhookDeliveries.retry': (c) => c.webhookDeliveries.retry(DEL),
  'auditEvents.list': (c) => c.auditEvents.list({ action: 'instance.create' }),
  'events.stream': async (c) => {
    for await (const _ of c.events.stream({ reconnect: false })) break;
  },
};

/** The field names of T, checked exhaustively by the compiler (a missing or extra key does not compile). */
const fields = <T>(keys: Record<keyof T, true>) => Object.keys(keys).sort();
type KeysOfUnion<T> = T extends unknown ? keyof T : never;

let gw: TestGateway;
let doc: OpenApiDoc;

beforeAll(async () => {
  gw = await startTestGateway();
  const res = await gw.request('/openapi.json');
  expect(res.status).toBe(200);
  doc = await res.json();
});
afterAll(() => gw?.close());

function methodNames(client: WhatIsUpClient): string[] {
  return Object.entries(client).flatMap(([group, methods]) =>
    Object.entries(methods as Record<string, unknown>)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => `${group}.${name}`),
  );
}

/** The documented path template a concrete request path matches (literal segments win over parameters). */
function templateOf(path: string): string | undefined {
  const matching = Object.keys(doc.paths).filter((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  );
  return matching.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
}

/** Property names of a schema, through $ref and allOf (an extended schema is documented as allOf). */
function propertiesOf(schema: Schema): string[] {
  if (schema.$ref) return propertiesOf(doc.components.schemas[schema.$ref.split('/').pop()!] ?? {});
  return [
    ...new Set([...Object.keys(schema.properties ?? {}), ...(schema.allOf ?? []).flatMap(propertiesOf)]),
  ];
}

async function recordCalls(): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  let last = '';
  const client = createClient({
    baseUrl: 'http://api.invalid/',
    apiKey: 'wiu_test',
    fetch: async (input, init) => {
      const url = new URL(String(input));
      last = `${init?.method ?? 'GET'} ${url.pathname}`;
      return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    },
  });
  for (const [name, call] of Object.entries(calls)) {
    await call(client);
    seen.set(name, last);
  }
  return seen;
}

describe('the client covers the OpenAPI document exactly', () => {
  it('has a sample call for every method (so the checks below see them all)', () => {
    const client = createClient({ baseUrl: 'http://api.invalid', apiKey: 'wiu_test' });
    expect(methodNames(client).sort()).toEqual(Object.keys(calls).sort());
  });

  it('calls only documented operations', async () => {
    const undocumented: string[] = [];
    for (const [name, request] of await recordCalls()) {
      const [method, path] = request.split(' ') as [string, string];
      const template = templateOf(path);
      if (!template || !doc.paths[template]?.[method.toLowerCase()]) undocumented.push(`${name}: ${request}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('has a method for every documented /v1 operation', async () => {
    const covered = new Set<string>();
    for (const request of (await recordCalls()).values()) {
      const [method, path] = request.split(' ') as [string, string];
      covered.add(`${method} ${templateOf(path)}`);
    }
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map((method) => `${method.toUpperCase()} ${path}`),
      );
    expect(documented.length).toBeGreaterThan(0);
    const notCovered = documented.filter((operation) => !covered.has(operation));
    // The list in the failure message is the client's to-do list.
    expect(notCovered, 'documented operations the client does not cover yet').toEqual([]);
  });
});

const DELIVERY_FIELDS = {
  id: true,
  endpoint_id: true,
  event_id: true,
  event_type: true,
  status: true,
  attempts: true,
  next_attempt_at: true,
  last_attempt_at: true,
  last_error: true,
  last_response_status: true,
  delivered_at: true,
  created_at: true,
} satisfies Record<keyof WebhookDelivery, true>;

describe('the client types match the documented schemas', () => {
  const schemas: [string, string[]][] = [
    [
      'Instance',
      fields<Instance>({
        id: true,
        name: true,
        status: true,
        phone: true,
        push_name: true,
        last_error: true,
        created_at: true,
        updated_at: true,
        connected_at: true,
      }),
    ],
    [
      'WebhookEndpoint',
      fields<WebhookEndpoint>({
        id: true,
        url: true,
        description: true,
        events: true,
        status: true,
        paused_at: true,
        disabled_at: true,
        disabled_reason: true,
        previous_secret_expires_at: true,
        created_at: true,
        updated_at: true,
      }),
    ],
    [
      'WebhookEndpointWithSecret',
      fields<WebhookEndpointWithSecret>({
        id: true,
        url: true,
        description: true,
        events: true,
        status: true,
        paused_at: true,
        disabled_at: true,
        disabled_reason: true,
        previous_secret_expires_at: true,
        created_at: true,
        updated_at: true,
        secret: true,
      }),
    ],
    [
      'AuditEvent',
      fields<AuditEvent>({
        id: true,
        action: true,
        actor: true,
        target: true,
        correlation_id: true,
        metadata: true,
        created_at: true,
      }),
    ],
    [
      'Message',
      fields<Message>({
        id: true,
        instance_id: true,
        direction: true,
        to: true,
        from: true,
        type: true,
        content: true,
        status: true,
        wa_message_id: true,
        error: true,
        idempotency_key: true,
        created_at: true,
        updated_at: true,
      }),
    ],
    ['WebhookDelivery', fields<WebhookDelivery>({ ...DELIVERY_FIELDS })],
    [
      'WebhookDeliveryDetail',
      fields<WebhookDeliveryDetail>({ ...DELIVERY_FIELDS, payload: true, attempt_log: true }),
    ],
    [
      'WebhookDeliveryAttempt',
      fields<WebhookDeliveryAttempt>({
        attempt: true,
        trigger: true,
        started_at: true,
        duration_ms: true,
        response_status: true,
        error_class: true,
        error_message: true,
        response_body: true,
      }),
    ],
    ['InstanceQr', fields<InstanceQr>({ qr: true, expires_at: true })],
    ['PairingCode', fields<PairingCode>({ code: true })],
    ['CreateInstance', fields<CreateInstanceInput>({ name: true })],
    [
      'CreateWebhookEndpoint',
      fields<CreateWebhookEndpointInput>({ url: true, events: true, description: true }),
    ],
    [
      'UpdateWebhookEndpoint',
      fields<UpdateWebhookEndpointInput>({ url: true, events: true, description: true }),
    ],
    ['RotateWebhookSecret', fields<RotateSecretInput>({ overlap_seconds: true })],
    ['PairingCodeRequest', fields<{ phone: string }>({ phone: true })],
    [
      'SendMessage',
      fields<Record<KeysOfUnion<SendMessageInput>, unknown>>({
        to: true,
        type: true,
        text: true,
        url: true,
        caption: true,
        filename: true,
        mimetype: true,
        latitude: true,
        longitude: true,
        name: true,
        address: true,
        emoji: true,
        message_id: true,
        reply_to: true,
      }),
    ],
  ];

  it.each(schemas)('%s has the documented fields', (name, ours) => {
    const schema = doc.components.schemas[name];
    expect(schema, `components.schemas.${name}`).toBeDefined();
    expect(propertiesOf(schema!).sort()).toEqual(ours);
  });

  it.each([
    ['/v1/instances', fields<PageQuery>({ limit: true, cursor: true })],
    ['/v1/webhook-endpoints', fields<PageQuery>({ limit: true, cursor: true })],
    ['/v1/instances/{id}/messages', fields<ListMessagesQuery>({ limit: true, cursor: true, status: true })],
    [
      '/v1/webhook-deliveries',
      fields<ListWebhookDeliveriesQuery>({
        limit: true,
        cursor: true,
        status: true,
        endpoint_id: true,
        event_type: true,
        since: true,
      }),
    ],
    [
      '/v1/audit-events',
      fields<ListAuditEventsQuery>({
        limit: true,
        cursor: true,
        action: true,
        target_id: true,
        since: true,
        until: true,
      }),
    ],
  ])('GET %s takes the documented query parameters', (path, ours) => {
    const parameters = doc.paths[path]?.get?.parameters ?? [];
    expect(
      parameters
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual(ours);
  });
});
