// Revoked, malformed and misplaced API keys on every operation: always 401 unauthorized in our error shape,
// the key never echoed. The key cache is off (TTL 0), so a revocation holds from the next request on.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../../services/gateway/src/admin/operations.ts';
import { HostileGateway, type HostileRequest, type Operation, SEED } from './hostile-gateway.ts';

fc.configureGlobal({ seed: SEED, numRuns: 20 });

const h = await HostileGateway.start({ apiKeyCacheTtlMs: 0 });
const owner = await h.customer('Owner');
const estate = await h.estate(owner);
const revoked = await h.customer('Revoked');
const revokedEstate = await h.estate(revoked);
const secondKey = await h.customer('Unused');

afterAll(async () => {
  h.expectCleanLogs();
  await h.close();
});

function request(
  op: Operation,
  authorization: string | undefined,
  ids = HostileGateway.idsFor(op, estate),
): HostileRequest {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.Authorization = authorization;
  const body = op.spec.validBody?.(estate);
  if (body) headers['Content-Type'] = 'application/json';
  return {
    method: op.method,
    url: HostileGateway.fill(op, ids),
    headers,
    ...(body ? { body: JSON.stringify(body) } : {}),
  };
}

async function expectUnauthorized(req: HostileRequest) {
  const outcome = await h.send(req);
  expect(outcome.status, `${req.method} ${req.url} with ${req.headers?.Authorization?.slice(0, 60)}`).toBe(
    401,
  );
  expect(outcome.json.error.code).toBe('unauthorized');
  expect(outcome.headers.get('www-authenticate') ?? '').not.toContain('wiu_');
}

const key = owner.key;
const body = key.slice('wiu_'.length);
/** Authorization values that must not authenticate as anyone. */
const badAuthorization = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
    `Token ${key}`,
    `Bearer${key}`,
    `Bearer ${key}${key}`,
    `Bearer ${key},${key}`,
    `Bearer ${key.toUpperCase()}`,
    `Bearer ${body}`,
    `Bearer wiu-${body}`,
    `Bearer ${key.slice(0, -1)}`,
    `Bearer ${key}x`,
    `Bearer ${key.slice(0, -1)}%`,
    `Bearer "${key}"`,
    `Bearer ${encodeURIComponent(`${key}\u0000`)}`,
    `Bearer ${'wiu_'.padEnd(10_000, 'a')}`,
    `Bearer ${secondKey.key.slice(0, 12)}${key.slice(12)}`,
    'Bearer null',
    'Bearer undefined',
    "Bearer ' OR '1'='1",
  ),
  // A key of the right shape that nobody was ever given.
  fc
    .string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'),
      minLength: 32,
      maxLength: 32,
    })
    .map((random) => `Bearer wiu_${random}`),
  // The real key with one character changed.
  fc.tuple(fc.nat({ max: body.length - 1 }), fc.constantFrom('A', 'z', '0', '_', '-')).map(([at, c]) => {
    const changed = body.slice(0, at) + c + body.slice(at + 1);
    return `Bearer wiu_${changed === body ? `${changed.slice(0, -1)}!` : changed}`;
  }),
);

describe.each(h.operations.map((op) => [op.key, op] as const))('%s', (_key, op) => {
  it('refuses a missing, malformed, misplaced or unknown key with 401', async () => {
    await expectUnauthorized(request(op, undefined));
    // A key anywhere but the Authorization header does not count.
    const inQuery = request(op, undefined);
    inQuery.url += `?api_key=${key}&access_token=${key}`;
    await expectUnauthorized(inQuery);
    await expectUnauthorized({
      ...request(op, undefined),
      headers: { ...request(op, undefined).headers, 'X-Api-Key': key },
    });
    await fc.assert(
      fc.asyncProperty(badAuthorization, (authorization) => expectUnauthorized(request(op, authorization))),
    );
  });
});

describe('a revoked key', () => {
  it('works until it is revoked, then is refused on every operation at once; the customer’s other keys still work', async () => {
    const list = await h.send({ method: 'GET', url: '/v1/instances', auth: revoked.key });
    expect(list.status).toBe(200);
    const other = await h.customer('Other');
    // A second key of the same customer, created the way the admin CLI does.
    const sibling = await createApiKey(h.gw.db, revoked.id, 'sibling');
    h.remember(sibling.key);
    expect(await revokeApiKey(h.gw.db, revoked.keyId)).toBe(true);
    for (const op of h.operations) {
      await expectUnauthorized(
        request(op, `Bearer ${revoked.key}`, HostileGateway.idsFor(op, revokedEstate)),
      );
    }
    const stillThere = await h.send({
      method: 'GET',
      url: `/v1/instances/${revokedEstate.instance}`,
      auth: sibling.key,
    });
    expect(stillThere.status).toBe(200);
    const unrelated = await h.send({ method: 'GET', url: '/v1/instances', auth: other.key });
    expect(unrelated.status).toBe(200);
  });
});
