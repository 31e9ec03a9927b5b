// A generated corpus of hostile requests against every operation the gateway publishes in /openapi.json:
// wrong types, missing and unknown fields, unicode edge cases, malformed JSON and bytes, odd content types,
// hostile ids, queries and headers, bodies over the limit and nested 10,000 levels deep. Every response must
// hold the invariants in hostile-gateway.ts; a victim customer's objects must never show up.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  anyJson,
  HOSTILE_IDS,
  HostileGateway,
  type HostileRequest,
  hostileHeaderValue,
  hostileId,
  MAX_BODY_BYTES,
  OPERATION_SPECS,
  type Operation,
  percentEncode,
  SEED,
  UNICODE_EDGES,
  unicodeString,
  validValue,
} from './hostile-gateway.ts';

fc.configureGlobal({ seed: SEED, numRuns: 15 });

const h = await HostileGateway.start();
const victim = await h.customer('Victim');
const victimEstate = await h.estate(victim);
h.protectFromOthers(victimEstate);
const fuzzer = await h.customer('Fuzzer');
const estate = await h.estate(fuzzer);
const victimIds = [victimEstate.instance, victimEstate.message, victimEstate.endpoint, victimEstate.delivery];

afterAll(async () => {
  h.expectCleanLogs();
  await h.close();
});

// Deletes run last so that the other operations still find the fuzzer's objects.
const operations = [...h.operations].sort(
  (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'),
);

function ownUrl(op: Operation, query = ''): string {
  return HostileGateway.fill(op, HostileGateway.idsFor(op, estate)) + query;
}

function validBody(op: Operation): Record<string, unknown> | undefined {
  return op.spec.validBody?.(estate);
}

function withJson(op: Operation, body: string | Uint8Array | undefined, contentType = 'application/json') {
  const request: HostileRequest = { method: op.method, url: ownUrl(op), auth: fuzzer.key };
  if (body !== undefined) {
    request.body = body;
    request.headers = contentType ? { 'Content-Type': contentType } : {};
  }
  return request;
}

const MALFORMED_JSON = [
  '',
  ' ',
  '{',
  '{"a":',
  '{"name":"x"',
  '{"name":"x"}garbage',
  '\ufeff{"name":"x"}',
  "{'name':'x'}",
  '{"name":NaN}',
  '{"name":Infinity}',
  '{"name":"x",}',
  '{"name":"x"/*c*/}',
  '{"name":"x","name":1}',
  '{"name":"\\ud800"}',
  '{"name":"\\u0000"}',
  '{"a":1e999999}',
  '[1,2,3',
  'undefined',
  'null',
  'true',
  '"just a string"',
  '12345678901234567890123456789',
];

/** Invalid UTF-8 inside a JSON string: overlong '/', a CESU-8 surrogate, stray continuation bytes. */
const BAD_UTF8 = [
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xf0, 0x80, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xff],
  [0x80, 0x80],
  [0x00],
];

const CONTENT_TYPES = [
  '',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/jsonp',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json;;;',
  'application/json, text/plain',
];

function bodyMutations(op: Operation): fc.Arbitrary<HostileRequest> {
  const schema = op.body!;
  const valid = validBody(op) ?? {};
  const fields = Object.keys(schema.properties ?? {});
  const required = schema.required ?? [];
  const stringFields = fields.filter((name) => {
    const type = schema.properties![name]!.type;
    return type === 'string' || (Array.isArray(type) && type.includes('string'));
  });
  const json = (value: unknown) => withJson(op, JSON.stringify(value));
  const mutations: fc.Arbitrary<HostileRequest>[] = [
    // wrong type for a field
    fc
      .tuple(fc.constantFrom(...fields), anyJson())
      .map(([field, value]) => json({ ...valid, [field]: value })),
    // unicode edge cases in a string field (on top of a valid body, so they reach the handler and the database)
    fc
      .tuple(fc.constantFrom(...(stringFields.length ? stringFields : fields)), unicodeString())
      .map(([field, value]) => json({ ...valid, [field]: value })),
    // a schema-shaped body with random values
    fc
      .record(Object.fromEntries(fields.map((name) => [name, validValue(schema.properties![name]!)])), {
        requiredKeys: [],
      })
      .map(json),
    // unknown fields, prototype pollution attempts among them
    fc
      .tuple(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'customer_id', 'secret', 'x'),
        fc.oneof(fc.constant({ polluted: 'yes' }), anyJson()),
      )
      .map(([name, value]) =>
        withJson(
          op,
          JSON.stringify(valid)
            .replace(/^\{/, `{${JSON.stringify(name)}:${JSON.stringify(value)},`)
            .replace(/,\}$/, '}'),
        ),
      ),
    // not an object at all, or not JSON
    anyJson().map(json),
    fc.constantFrom(...MALFORMED_JSON).map((text) => withJson(op, text)),
    // invalid UTF-8 bytes inside a string value
    fc
      .tuple(fc.constantFrom(...(stringFields.length ? stringFields : ['x'])), fc.constantFrom(...BAD_UTF8))
      .map(([field, bytes]) =>
        withJson(op, Buffer.concat([Buffer.from(`{"${field}":"a`), Buffer.from(bytes), Buffer.from('b"}')])),
      ),
    // a valid body under a content type that is not JSON
    fc.constantFrom(...CONTENT_TYPES).map((type) => withJson(op, JSON.stringify(valid), type)),
  ];
  if (required.length > 0) {
    mutations.push(
      fc.constantFrom(...required).map((field) => {
        const { [field]: _, ...rest } = valid;
        return json(rest);
      }),
    );
  }
  return fc.oneof(...mutations);
}

/** Query values, inserted as is (already encoded where they mean to be). */
const HOSTILE_QUERY_VALUES = [
  '',
  '-1',
  '0',
  '101',
  '1e309',
  '0x10',
  '1.5',
  '%201',
  'NaN',
  '2026-02-30T00:00:00Z',
  '2026-13-45T99:99:99Z',
  '+275760-09-13T00:00:00.000Z',
  '275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59.999+14:00',
  '9999-12-31T23:59:59.999-14:00',
  '0001-01-01T00:00:00%2B14:00',
  '0000-01-01T00:00:00Z',
  '0000-01-01T00:00:00%2B14:00',
  '0001-01-01T00:00:00Z',
  '2026-11-28T10:00:00.000000001Z',
  '2026-11-28T10:00:00%2B99:99',
  'x'.repeat(100_000),
  '%00',
  '%',
  '%zz',
  "'%20OR%20'1'%3D'1",
  'failed&status=pending',
  'message.received%00',
];

/** Query strings with hostile values for the operation's own parameters and for ones it does not have. */
function queryMutations(op: Operation): fc.Arbitrary<string> {
  const declared = op.params.filter((p) => p.in === 'query').map((p) => p.name);
  const names = [...declared, '__proto__', 'id', 'customer_id'];
  const value = fc.oneof(
    unicodeString().map(percentEncode),
    fc.constantFrom(...victimIds, ...HOSTILE_QUERY_VALUES),
  );
  return fc
    .array(fc.tuple(fc.constantFrom(...names), value), { minLength: 1, maxLength: 3 })
    .map((pairs) => `?${pairs.map(([name, v]) => `${name}=${v}`).join('&')}`);
}

function templateMatch(op: Operation, url: string): boolean {
  const pattern = new RegExp(`^${op.path.replace(/\{\w+\}/g, '[^/]+')}$`);
  return pattern.test(new URL(url, 'http://localhost').pathname);
}

describe.each(operations.map((op) => [op.key, op] as const))('%s', (_key, op) => {
  const body = validBody(op);

  it.runIf(op.body !== undefined)(
    'malformed bodies: wrong types, missing and unknown fields, unicode, bad JSON and bytes',
    async () => {
      await fc.assert(
        fc.asyncProperty(bodyMutations(op), async (request) => {
          await h.send(request);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { numRuns: 60 },
      );
    },
  );

  it.runIf(op.body !== undefined)(
    'every unicode edge case in every string field of a valid body',
    async () => {
      const properties = op.body!.properties ?? {};
      const stringFields = Object.keys(properties).filter((name) =>
        JSON.stringify(properties[name]!.type).includes('string'),
      );
      for (const field of stringFields) {
        for (const edge of UNICODE_EDGES)
          await h.send(withJson(op, JSON.stringify({ ...body, [field]: edge })));
      }
    },
  );

  it.runIf(op.params.some((p) => p.in === 'path'))(
    'hostile path ids: traversal, encoded slashes, other customers',
    async () => {
      const names = op.params.filter((p) => p.in === 'path').map((p) => p.name);
      const ids = fc.record(Object.fromEntries(names.map((name) => [name, hostileId(victimIds)])));
      await fc.assert(
        fc.asyncProperty(ids, async (values) => {
          const url = HostileGateway.fill(op, values);
          const request: HostileRequest = { method: op.method, url, auth: fuzzer.key };
          if (body)
            Object.assign(request, {
              body: JSON.stringify(body),
              headers: { 'Content-Type': 'application/json' },
            });
          const outcome = await h.send(request);
          // Still this route after URL normalisation: the id names nothing of the fuzzer's, so 404.
          if (templateMatch(op, url)) {
            expect(outcome.status, url).toBe(404);
            expect(outcome.json.error.code).toBe('not_found');
          }
        }),
      );
    },
  );

  it.runIf(op.params.some((p) => p.in === 'path'))(
    'every fixed hostile id in every id parameter is 404',
    async () => {
      for (const name of op.params.filter((p) => p.in === 'path').map((p) => p.name)) {
        for (const hostile of HOSTILE_IDS) {
          const url = HostileGateway.fill(op, { ...HostileGateway.idsFor(op, estate), [name]: hostile });
          const request: HostileRequest = { method: op.method, url, auth: fuzzer.key };
          if (body)
            Object.assign(request, {
              body: JSON.stringify(body),
              headers: { 'Content-Type': 'application/json' },
            });
          const outcome = await h.send(request);
          if (templateMatch(op, url)) expect(outcome.status, url).toBe(404);
        }
      }
    },
  );

  it.runIf(op.params.some((p) => p.in === 'query'))(
    'every fixed hostile value in every query parameter',
    async () => {
      for (const name of op.params.filter((p) => p.in === 'query').map((p) => p.name)) {
        for (const value of [...victimIds, ...HOSTILE_QUERY_VALUES]) {
          const outcome = await h.send({
            method: op.method,
            url: ownUrl(op, `?${name}=${value}`),
            auth: fuzzer.key,
          });
          if (outcome.status === 400) expect(outcome.json.error.code).toBe('validation_failed');
        }
      }
    },
  );

  it('hostile query strings', async () => {
    await fc.assert(
      fc.asyncProperty(queryMutations(op), async (query) => {
        const request: HostileRequest = { method: op.method, url: ownUrl(op, query), auth: fuzzer.key };
        if (body)
          Object.assign(request, {
            body: JSON.stringify(body),
            headers: { 'Content-Type': 'application/json' },
          });
        const outcome = await h.send(request);
        if (outcome.status === 400) expect(outcome.json.error.code).toBe('validation_failed');
      }),
    );
  });

  it('hostile headers are never echoed into response headers', async () => {
    const headers = fc.record(
      {
        'X-Correlation-Id': hostileHeaderValue(),
        'Idempotency-Key': hostileHeaderValue(),
        'Last-Event-ID': hostileHeaderValue(),
        Accept: fc.constantFrom('image/png', '*/*', 'text/event-stream', 'application/xml', '\u00ff'),
        'X-Forwarded-For': fc.constantFrom('127.0.0.1', '::1, 10.0.0.1'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(headers, async (sent) => {
        const request: HostileRequest = {
          method: op.method,
          url: ownUrl(op),
          auth: fuzzer.key,
          headers: { ...sent },
        };
        if (body)
          Object.assign(request, {
            body: JSON.stringify(body),
            headers: { ...sent, 'Content-Type': 'application/json' },
          });
        const outcome = await h.send(request);
        const correlation = sent['X-Correlation-Id'];
        const echoed = outcome.headers.get('x-correlation-id');
        if (correlation !== undefined && !/^[A-Za-z0-9._:-]{1,128}$/.test(correlation))
          expect(echoed).not.toBe(correlation);
        for (const [name, value] of outcome.headers) {
          expect(`${name}: ${value}`).not.toMatch(/injected|set-cookie/i);
          for (const hostile of [sent['Idempotency-Key'], sent['Last-Event-ID']]) {
            if (hostile && hostile.length > 3)
              expect(value.includes(hostile), `${name} echoes ${hostile}`).toBe(false);
          }
        }
      }),
    );
  });

  it.runIf(op.method !== 'GET')('bodies over the limit are 413, whether sized or streamed', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) });
    const sized = await h.send(withJson(op, huge));
    expect(sized.status).toBe(413);
    expect(sized.json.error.code).toBe('payload_too_large');

    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 2 * MAX_BODY_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await h.send({
      method: op.method,
      url: ownUrl(op),
      auth: fuzzer.key,
      headers: { 'Content-Type': 'application/json' },
      body: stream,
    });
    expect(streamed.status).toBe(413);
  });

  it.runIf(op.body !== undefined)(
    'strings just under the body limit and bodies nested 10,000 and 100,000 levels deep are 400',
    async () => {
      const field = Object.keys(op.body!.properties ?? {})[0] ?? 'x';
      const cases = [
        JSON.stringify({ ...body, [field]: 'y'.repeat(MAX_BODY_BYTES - 200) }),
        `{"${field}":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
        `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
        `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
        `{"${field}":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
      ];
      for (const text of cases) {
        const outcome = await h.send(withJson(op, text));
        expect(outcome.status, text.slice(0, 40)).toBe(400);
        expect(outcome.json.error.code).toBe('validation_failed');
      }
    },
  );

  it.runIf(op.method === 'GET')('huge query strings and header values', async () => {
    for (const request of [
      { method: 'GET', url: ownUrl(op, `?${'a'.repeat(200_000)}=1`), auth: fuzzer.key },
      { method: 'GET', url: ownUrl(op, `?limit=${'9'.repeat(100_000)}`), auth: fuzzer.key },
      {
        method: 'GET',
        url: ownUrl(op),
        auth: fuzzer.key,
        headers: { 'X-Correlation-Id': 'c'.repeat(100_000) },
      },
    ]) {
      await h.send(request);
    }
  });
});

it('every operation in /openapi.json has a generator', () => {
  expect(h.missingSpecs).toEqual([]);
  expect(h.operations.length).toBeGreaterThanOrEqual(25);
  // And no generator outlives its operation unnoticed.
  expect(Object.keys(OPERATION_SPECS).sort()).toEqual(h.operations.map((op) => op.key).sort());
});
