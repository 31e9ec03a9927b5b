// Shared by the hostile-input suite: a real gateway (stand-in worker answering every command), the operations
// read from its own GET /openapi.json, one generator entry per operation, and the invariants every response
// to a generated request must hold (no 5xx, our error shape, no secret, stack trace or SQL, no other tenant).
import { newId, waMessageIdFor } from '@whatisup/contracts';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { GatewayConfig } from '../../services/gateway/src/deps.ts';
import { ERROR_STATUS } from '../../services/gateway/src/errors.ts';
import { startTestGateway, type TestGateway } from '../../services/gateway/test/harness.ts';
import type { CommandHandler } from '../../services/gateway/test/stand-in-worker.ts';

/** Fixed so that every run generates the same corpus; fast-check prints it (and the path) on a failure. */
export const SEED = 20261128;
/** What the gateway answers with in production (README: MAX_BODY_BYTES). */
export const MAX_BODY_BYTES = 1_048_576;
const ANSWER_WITHIN_MS = 5_000;
const SAFE_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface Customer {
  id: string;
  key: string;
  keyId: string;
}

/** Objects one customer owns, created through the API (the delivery is seeded as the delivery service would). */
export interface Estate {
  customer: Customer;
  instance: string;
  message: string;
  endpoint: string;
  delivery: string;
}

type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  /** "POST /v1/instances/{id}/messages" */
  key: string;
  method: string;
  path: string;
  params: Parameter[];
  body: Schema | undefined;
  spec: OperationSpec;
}

export type IdKind = 'instance' | 'message' | 'endpoint' | 'delivery';

/**
 * What the suite knows about an operation beyond its schema: which object each path id names, a valid body
 * to mutate, and whether it answers with a stream. An operation in /openapi.json without an entry here fails
 * the suite, so a new endpoint cannot go untested.
 */
export interface OperationSpec {
  ids?: Record<string, IdKind>;
  validBody?: (estate: Estate) => Record<string, unknown>;
  /** A long-lived text/event-stream response: only its status and headers are read. */
  stream?: boolean;
  /** Changes or destroys the object it names (the isolation test checks the victim's objects afterwards). */
  writes?: boolean;
}

const TO = '4915123456789';

export const OPERATION_SPECS: Record<string, OperationSpec> = {
  'POST /v1/instances': { validBody: () => ({ name: `fuzz-${newId('event').slice(-8)}` }), writes: true },
  'GET /v1/instances': {},
  'GET /v1/instances/{id}': { ids: { id: 'instance' } },
  'DELETE /v1/instances/{id}': { ids: { id: 'instance' }, writes: true },
  'GET /v1/instances/{id}/qr': { ids: { id: 'instance' } },
  'POST /v1/instances/{id}/pairing-code': {
    ids: { id: 'instance' },
    validBody: () => ({ phone: TO }),
    writes: true,
  },
  'POST /v1/instances/{id}/logout': { ids: { id: 'instance' }, writes: true },
  'POST /v1/instances/{id}/restart': { ids: { id: 'instance' }, writes: true },
  'POST /v1/instances/{id}/messages': {
    ids: { id: 'instance' },
    validBody: () => ({ to: TO, type: 'text', text: 'hello' }),
    writes: true,
  },
  'GET /v1/instances/{id}/messages': { ids: { id: 'instance' } },
  'GET /v1/instances/{id}/messages/{messageId}': { ids: { id: 'instance', messageId: 'message' } },
  'POST /v1/webhook-endpoints': {
    validBody: () => ({ url: 'https://hooks.example.com/whatisup', events: ['message.received'] }),
    writes: true,
  },
  'GET /v1/webhook-endpoints': {},
  'GET /v1/webhook-endpoints/{id}': { ids: { id: 'endpoint' } },
  'PATCH /v1/webhook-endpoints/{id}': {
    ids: { id: 'endpoint' },
    validBody: () => ({ description: 'changed' }),
    writes: true,
  },
  'DELETE /v1/webhook-endpoints/{id}': { ids: { id: 'endpoint' }, writes: true },
  'POST /v1/webhook-endpoints/{id}/pause': { ids: { id: 'endpoint' }, writes: true },
  'POST /v1/webhook-endpoints/{id}/resume': { ids: { id: 'endpoint' }, writes: true },
  'POST /v1/webhook-endpoints/{id}/rotate-secret': {
    ids: { id: 'endpoint' },
    validBody: () => ({ overlap_seconds: 60 }),
    writes: true,
  },
  'POST /v1/webhook-endpoints/{id}/test': { ids: { id: 'endpoint' }, writes: true },
  'GET /v1/webhook-deliveries': {},
  'GET /v1/webhook-deliveries/{id}': { ids: { id: 'delivery' } },
  'POST /v1/webhook-deliveries/{id}/retry': { ids: { id: 'delivery' }, writes: true },
  'GET /v1/audit-events': {},
  'GET /v1/events/stream': { stream: true },
};

/** Answers every instance command the way a healthy worker holding a linked instance would. */
export const healthyWorker: CommandHandler = (instanceId, verb, payload) => {
  const state = {
    status: 'connected',
    phone: TO,
    push_name: 'Ana',
    last_error: null,
    worker_id: 'stand-in',
  };
  switch (verb) {
    case 'send':
      return {
        ok: true,
        data: {
          message_id: payload.message_id,
          wa_message_id: waMessageIdFor(String(payload.message_id)),
          status: 'queued',
        },
      };
    case 'qr':
      return {
        ok: true,
        data: { qr: `2@${instanceId},publickey=,identity=,adv=`, expires_at: new Date().toISOString() },
      };
    case 'pairing-code':
      return { ok: true, data: { code: 'ABCD1234' } };
    default:
      return { ok: true, data: state };
  }
};

export interface HostileRequest {
  method: string;
  /** Path and query exactly as sent (already percent-encoded where the test means it). */
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  /** The API key to send as a Bearer token (set an Authorization header yourself for anything odder). */
  auth?: string;
}

export interface Outcome {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed response bodies are asserted on, not typed
  json: any;
}

const STACK_TRACE =
  /\bat (?:async )?[^\s]*\s*\(?(?:file:\/\/)?\/[^\s)]+:\d+:\d+|node:internal|node_modules\//;
const SQL = new RegExp(
  [
    'syntax error at or near',
    'duplicate key value',
    'violates (?:unique|foreign key|check|not-null) constraint',
    'invalid input syntax',
    'invalid byte sequence',
    'unsupported Unicode escape',
    'relation "[^"]+" does not exist',
    '\\bselect\\s+(?:distinct\\s+)?["*]',
    '\\binsert into "',
    '\\bdelete from "',
    '\\bupdate "[a-z_]+" set',
    'PostgresError',
    'drizzle',
  ].join('|'),
  'i',
);

export class HostileGateway {
  readonly gw: TestGateway;
  readonly operations: Operation[];
  readonly missingSpecs: string[];
  /** Strings that must never leave the server except in the one response that issued them. */
  private readonly secrets = new Set<string>();
  /** Ids no response to the attacker may mention. */
  private readonly victimIds = new Set<string>();
  private constructor(gw: TestGateway, operations: Operation[], missingSpecs: string[]) {
    this.gw = gw;
    this.operations = operations;
    this.missingSpecs = missingSpecs;
  }

  static async start(config: Partial<GatewayConfig> = {}): Promise<HostileGateway> {
    const gw = await startTestGateway({
      commandTimeoutMs: 2_000,
      config: {
        rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
        maxBodyBytes: MAX_BODY_BYTES,
        webhookAllowPrivateTargets: false,
        ...config,
      },
    });
    gw.standIn!.onCommand = healthyWorker;
    const doc = await (await gw.request('/openapi.json')).json();
    const operations: Operation[] = [];
    const missingSpecs: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const [method, raw] of Object.entries(methods)) {
        const op = raw as {
          parameters?: Parameter[];
          requestBody?: { content: Record<string, { schema: Schema }> };
        };
        const key = `${method.toUpperCase()} ${path}`;
        const spec = OPERATION_SPECS[key];
        if (!spec) {
          missingSpecs.push(key);
          continue;
        }
        const bodySchema = op.requestBody?.content['application/json']?.schema;
        operations.push({
          key,
          method: method.toUpperCase(),
          path,
          params: op.parameters ?? [],
          body: bodySchema ? resolve(doc, bodySchema) : undefined,
          spec,
        });
      }
    }
    return new HostileGateway(gw, operations, missingSpecs);
  }

  async customer(name: string): Promise<Customer> {
    const customer = await this.gw.customer(name);
    this.secrets.add(customer.key);
    return customer;
  }

  /** A secret created outside the API (e.g. a key made by an admin operation). */
  remember(secret: string): void {
    this.secrets.add(secret);
  }

  /** An instance, a sent message, a webhook endpoint and a delivery of it, all created through the API. */
  async estate(customer: Customer): Promise<Estate> {
    const instance = await this.ok({
      method: 'POST',
      url: '/v1/instances',
      auth: customer.key,
      ...jsonBody({ name: `estate-${newId('event').slice(-10)}` }),
    });
    const message = await this.ok({
      method: 'POST',
      url: `/v1/instances/${instance.json.id}/messages`,
      auth: customer.key,
      ...jsonBody({ to: TO, type: 'text', text: 'estate' }),
    });
    const endpoint = await this.ok({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      auth: customer.key,
      ...jsonBody({ url: 'https://hooks.example.com/estate' }),
    });
    const delivery = newId('webhookDelivery');
    const eventId = newId('event');
    await this.gw.dbHandle.sql`
      insert into webhook_deliveries (id, customer_id, endpoint_id, event_id, event_type, payload, status, attempts,
        last_error, last_response_status, next_attempt_at, created_at)
      values (${delivery}, ${customer.id}, ${endpoint.json.id}, ${eventId}, 'message.received',
        ${JSON.stringify({ id: eventId, type: 'message.received', customer_id: customer.id, data: {} })}::jsonb,
        'failed', 6, 'HTTP 500', 500, null, now())`;
    return {
      customer,
      instance: instance.json.id,
      message: message.json.id,
      endpoint: endpoint.json.id,
      delivery,
    };
  }

  /** Responses to anyone but the owner must never mention these. */
  protectFromOthers(estate: Estate): void {
    for (const id of [
      estate.customer.id,
      estate.customer.keyId,
      estate.instance,
      estate.message,
      estate.endpoint,
      estate.delivery,
    ]) {
      this.victimIds.add(id);
    }
  }

  private async ok(request: HostileRequest): Promise<Outcome> {
    const outcome = await this.send(request);
    expect(outcome.status, `${request.method} ${request.url}: ${outcome.text}`).toBeLessThan(300);
    return outcome;
  }

  /** Sends one request, checks every invariant, and returns what came back. */
  async send(request: HostileRequest, options: { asVictim?: boolean } = {}): Promise<Outcome> {
    const headers = new Headers(request.headers);
    if (request.auth !== undefined) headers.set('Authorization', `Bearer ${request.auth}`);
    const abort = new AbortController();
    const init: RequestInit & { duplex?: 'half' } = { method: request.method, headers, signal: abort.signal };
    if (request.body !== undefined) {
      init.body = request.body;
      if (request.body instanceof ReadableStream) init.duplex = 'half';
    }
    // Never a hang: every request is answered (at least its status and headers) within ANSWER_WITHIN_MS.
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      this.gw.app.request(request.url, init),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          reject(
            new Error(
              `${request.method} ${request.url.slice(0, 300)}: no answer within ${ANSWER_WITHIN_MS} ms`,
            ),
          );
        }, ANSWER_WITHIN_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    let text = '';
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel();
      abort.abort();
    } else {
      text = await res.text();
    }
    const outcome: Outcome = { status: res.status, headers: res.headers, text, json: undefined };
    const label = `${request.method} ${request.url.slice(0, 300)} → ${res.status} ${text.slice(0, 500)}`;
    expect(res.status, label).toBeLessThan(500);
    const correlationId = res.headers.get('x-correlation-id');
    expect(correlationId, label).toMatch(SAFE_CORRELATION_ID);
    if (res.status >= 400) {
      expect(res.headers.get('content-type'), label).toMatch(/^application\/json/);
      outcome.json = JSON.parse(text);
      expect(Object.keys(outcome.json).sort(), label).toEqual(['correlation_id', 'error']);
      expect(outcome.json.correlation_id, label).toBe(correlationId);
      expect(typeof outcome.json.error.message, label).toBe('string');
      expect(ERROR_STATUS[outcome.json.error.code as keyof typeof ERROR_STATUS], label).toBe(res.status);
    } else if (text && res.headers.get('content-type')?.startsWith('application/json')) {
      outcome.json = JSON.parse(text);
    }
    const everything = [text, ...[...res.headers].map(([name, value]) => `${name}: ${value}`)].join('\n');
    for (const secret of this.secrets)
      expect(everything.includes(secret), `${label}: leaks a secret`).toBe(false);
    expect(everything, label).not.toMatch(STACK_TRACE);
    if (res.status >= 400) expect(text, label).not.toMatch(SQL);
    if (!options.asVictim) {
      // An id the caller sent may be quoted back in an error; any other id of the victim's is a leak.
      const sent = [
        request.url,
        typeof request.body === 'string' ? request.body : '',
        ...Object.values(request.headers ?? {}),
      ].join('\n');
      for (const id of this.victimIds) {
        if (!sent.includes(id))
          expect(everything.includes(id), `${label}: shows another customer's ${id}`).toBe(false);
      }
    }
    // Secrets this response issued (create, rotate) may appear in it once, never anywhere later.
    for (const match of text.matchAll(/whsec_[A-Za-z0-9+/=]+/g)) this.secrets.add(match[0]);
    return outcome;
  }

  /** No log line may carry an API key or a webhook secret. */
  expectCleanLogs(): void {
    expect(this.secrets.size).toBeGreaterThan(0);
    for (const line of this.gw.logs) {
      for (const secret of this.secrets)
        expect(line.includes(secret), `log line leaks a secret: ${line}`).toBe(false);
    }
  }

  /** The path of an operation with its parameters filled in (values are inserted as given, not encoded). */
  static fill(op: Operation, values: Record<string, string>): string {
    return op.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `${name}-missing`);
  }

  static idsFor(op: Operation, estate: Estate): Record<string, string> {
    return Object.fromEntries(Object.entries(op.spec.ids ?? {}).map(([name, kind]) => [name, estate[kind]]));
  }

  close(): Promise<void> {
    return this.gw.close();
  }
}

export function jsonBody(value: unknown): { body: string; headers: Record<string, string> } {
  return { body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } };
}

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is plain JSON
function resolve(doc: any, schema: Schema): Schema {
  if (!schema.$ref) return schema;
  return doc.components.schemas[schema.$ref.split('/').pop()!] as Schema;
}

// ---- generators -------------------------------------------------------------------------------------------

/** Strings that break naive code: lone surrogates, bidi overrides, zero-width, NUL and controls, ZWJ emoji. */
export const UNICODE_EDGES = [
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  'a\ud83d',
  '\u202e',
  '\u202d\u2066\u2069',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u0000',
  'a\u0000b',
  '\u0001\u0008\u001b[31m',
  '\u007f',
  '\u0085',
  '\u2028\u2029',
  '\r\n',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  '🧑🏽‍🚀',
  '\u{10ffff}',
  '\ufffd',
  '\uffff',
  'e\u0301'.padEnd(400, '\u0301'),
  'Ａ',
  'İıß\ufb00',
  // What an overlong UTF-8 sequence decodes to when a lenient decoder reads it as Latin-1.
  '\u00c0\u00af',
  '\u00e0\u0080\u00af',
  '%c0%af',
  '%00',
  '\\u0000',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is
  '${7*7}{{7*7}}',
  '__proto__',
];

export const unicodeString = (): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...UNICODE_EDGES), fc.string({ unit: 'binary', maxLength: 8 })), {
      minLength: 1,
      maxLength: 5,
    })
    .map((parts) => parts.join(''));

/** A JSON value of any type, for "wrong type" mutations. */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -1, 1e308, -0, 2 ** 53 + 1, true, false, null, '', [], {}),
    fc.string({ maxLength: 20 }),
    unicodeString(),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  );

/** A value that fits the schema where it cheaply can (examples, enums, bounds). */
export function validValue(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.example !== undefined) return fc.constant(schema.example);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'date-time') return fc.constant(new Date().toISOString());
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 20) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? validValue(schema.items) : fc.constant(1), { maxLength: 3 });
    default:
      return fc.constant(null);
  }
}

/** Percent-encodes every UTF-8 byte of a string, so lone surrogates and controls survive into a URL. */
export function percentEncode(value: string): string {
  return [...Buffer.from(value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** Path ids meant to escape their segment, confuse decoding or name nothing (inserted into the path as is). */
export const HOSTILE_IDS = [
  '..',
  '.',
  '..%2f..%2fwebhook-endpoints',
  '..%2F..%2F..%2Fopenapi.json',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fwebhook-endpoints',
  '..%5c..%5cwebhook-endpoints',
  '..\\..\\webhook-endpoints',
  '%252e%252e%252f',
  '%25252e%25252e',
  '%2f',
  '%5c',
  '%00',
  '%0d%0aX-Injected:%201',
  '%E0%A4%A',
  '%',
  '%zz',
  '%ff%fe',
  '%c0%af',
  '%u002e',
  '*',
  '%2A',
  "'",
  '%22',
  ';',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '{id}',
  ':id',
  'ins_',
  `ins_${'a'.repeat(26)}`,
  `ins_${'0'.repeat(10_000)}`,
];

/** The fixed hostile ids, and the victim's ids spelled in ways that must not find them either. */
export function hostileId(victimIds: string[]): fc.Arbitrary<string> {
  const id = fc.constantFrom(...victimIds);
  return fc.oneof(
    fc.constantFrom(...HOSTILE_IDS),
    id.map((value) => `${value}%00`),
    id.map((value) => `${value}%2f..`),
    id.map((value) => value.toUpperCase()),
    id.map((value) => `%20${value}`),
    id.map((value) => percentEncode(value)),
    id.map((value) => `${value}%2f..%2f${value}`),
    fc.string({ unit: 'binary', maxLength: 12 }).map(percentEncode),
    fc
      .uint8Array({ maxLength: 12 })
      .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  );
}

/** Header values Headers accepts (Latin-1, no CR/LF/NUL) that are still hostile. */
export const hostileHeaderValue = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(
      'abc%0d%0aSet-Cookie:%20injected=1',
      'abc\tdef',
      'x'.repeat(129),
      'x'.repeat(20_000),
      '\u00ff\u00fe\u00c0\u00af',
      '"quoted"',
      '../../etc/passwd',
      '<script>',
      'a,b',
      '-1',
      '1e3',
      '99999999999999999999',
      '0x10',
    ),
    fc
      .array(fc.integer({ min: 0x20, max: 0xff }), { minLength: 1, maxLength: 40 })
      .map((codes) => String.fromCharCode(...codes).trim())
      .filter((value) => value.length > 0),
  );
