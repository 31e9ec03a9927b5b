// Another customer's ids in every id parameter of every operation: never a 2xx, always 404, nothing of the
// owner's in any answer, and the owner's objects exactly as they were afterwards.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Estate, HostileGateway, type HostileRequest, type Operation, SEED } from './hostile-gateway.ts';

fc.configureGlobal({ seed: SEED, numRuns: 10 });

const h = await HostileGateway.start();
const alice = await h.customer('Alice');
const bob = await h.customer('Bob');
const aliceEstate = await h.estate(alice);
const bobEstate = await h.estate(bob);
h.protectFromOthers(aliceEstate);

afterAll(async () => {
  h.expectCleanLogs();
  await h.close();
});

/** Everything Alice can read about her objects, and what is stored beside it. */
async function snapshot(estate: Estate) {
  const get = async (url: string) => {
    const outcome = await h.send({ method: 'GET', url, auth: estate.customer.key }, { asVictim: true });
    expect(outcome.status, url).toBe(200);
    return outcome.json;
  };
  const [stored] = await h.gw.dbHandle.sql`
    select secret_sealed, previous_secret_sealed, url, events, description, paused_at, disabled_at
    from webhook_endpoints where id = ${estate.endpoint}`;
  return {
    instance: await get(`/v1/instances/${estate.instance}`),
    instances: await get('/v1/instances'),
    message: await get(`/v1/instances/${estate.instance}/messages/${estate.message}`),
    messages: await get(`/v1/instances/${estate.instance}/messages`),
    endpoint: await get(`/v1/webhook-endpoints/${estate.endpoint}`),
    endpoints: await get('/v1/webhook-endpoints'),
    delivery: await get(`/v1/webhook-deliveries/${estate.delivery}`),
    stored,
  };
}

// Alice sends with an Idempotency-Key that Bob will use too.
const idempotentSend = {
  body: JSON.stringify({ to: '4915123456789', type: 'text', text: 'same body' }),
  headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'order-1234' },
};
const alicesIdempotentMessage = (
  await h.send(
    {
      method: 'POST',
      url: `/v1/instances/${aliceEstate.instance}/messages`,
      auth: alice.key,
      ...idempotentSend,
    },
    { asVictim: true },
  )
).json.id as string;
h.protectFromOthers({ ...aliceEstate, message: alicesIdempotentMessage });

const before = await snapshot(aliceEstate);
const commandsBefore = h.gw.standIn!.commands.length;

function bobRequest(op: Operation, ids: Record<string, string>): HostileRequest {
  const request: HostileRequest = { method: op.method, url: HostileGateway.fill(op, ids), auth: bob.key };
  const body = op.spec.validBody?.(bobEstate);
  if (body)
    Object.assign(request, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  return request;
}

const withIds = h.operations.filter((op) => op.spec.ids);
const withoutIds = h.operations.filter((op) => !op.spec.ids);

describe.each(withIds.map((op) => [op.key, op] as const))('%s with Alice’s ids, as Bob', (_key, op) => {
  const names = Object.keys(op.spec.ids!);
  // Every mix of Alice's and Bob's objects in which at least one id is Alice's.
  const mixes = names
    .reduce<Record<string, string>[]>(
      (acc, name) =>
        acc.flatMap((partial) => [
          { ...partial, [name]: aliceEstate[op.spec.ids![name]!] },
          { ...partial, [name]: bobEstate[op.spec.ids![name]!] },
        ]),
      [{}],
    )
    .filter((ids) => Object.values(ids).some((id) => Object.values(aliceEstate).includes(id)));

  it('answers 404 not_found, never 2xx, 403 or anything of Alice’s', async () => {
    for (const ids of mixes) {
      const outcome = await h.send(bobRequest(op, ids));
      expect(outcome.status, JSON.stringify(ids)).toBe(404);
      expect(outcome.json.error.code).toBe('not_found');
    }
  });

  it('answers 404 to Alice’s ids in other spellings too', async () => {
    const spelled = fc.record(
      Object.fromEntries(
        names.map((name) => {
          const id = aliceEstate[op.spec.ids![name]!];
          return [
            name,
            fc.constantFrom(
              id,
              id.toUpperCase(),
              `${id}%20`,
              `%20${id}`,
              encodeURIComponent(id),
              id.replace('_', '%5f'),
              `${id}%00`,
            ),
          ];
        }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(spelled, async (ids) => {
        const outcome = await h.send(bobRequest(op, ids));
        expect(outcome.status).toBe(404);
      }),
    );
  });
});

describe.each(withoutIds.map((op) => [op.key, op] as const))(
  '%s with Alice’s ids in the query, as Bob',
  (_key, op) => {
    it('shows nothing of Alice’s', async () => {
      const queries = [
        `?endpoint_id=${aliceEstate.endpoint}`,
        `?target_id=${aliceEstate.instance}`,
        `?target_id=${aliceEstate.endpoint}`,
        `?target_id=${alice.id}`,
        `?cursor=${aliceEstate.instance}`,
        `?cursor=${aliceEstate.endpoint}`,
        `?cursor=${aliceEstate.delivery}`,
      ];
      for (const query of queries) {
        const request = bobRequest(op, {});
        request.url += query;
        const outcome = await h.send(request);
        if (outcome.status < 300 && Array.isArray(outcome.json?.data)) {
          // Bob's own objects may be listed; the send invariant already refuses any of Alice's ids.
          for (const row of outcome.json.data) expect(JSON.stringify(row)).not.toContain(alice.id);
        }
      }
    });
  },
);

it('a send from Bob’s own instance cannot quote or react to Alice’s message', async () => {
  for (const body of [
    { to: '4915123456789', type: 'text', text: 'quoting', reply_to: aliceEstate.message },
    { to: '4915123456789', type: 'reaction', emoji: '👍', message_id: aliceEstate.message },
  ]) {
    const outcome = await h.send({
      method: 'POST',
      url: `/v1/instances/${bobEstate.instance}/messages`,
      auth: bob.key,
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    expect([400, 404]).toContain(outcome.status);
  }
});

it('an Idempotency-Key Alice used gives Bob his own new message, never hers', async () => {
  const his = await h.send({
    method: 'POST',
    url: `/v1/instances/${bobEstate.instance}/messages`,
    auth: bob.key,
    ...idempotentSend,
  });
  expect(his.status).toBe(202);
  expect(his.json.id).not.toBe(alicesIdempotentMessage);
});

it('leaves Alice’s objects exactly as they were, and her worker was never asked anything', async () => {
  const after = await snapshot(aliceEstate);
  expect(after).toEqual(before);
  const commands = h.gw.standIn!.commands.slice(commandsBefore);
  expect(commands.filter((command) => command.instanceId === aliceEstate.instance)).toEqual([]);
  for (const command of commands) expect(JSON.stringify(command.payload)).not.toContain(aliceEstate.message);
  const audit = await h.gw.dbHandle.sql`
    select action, target_id from audit_events where customer_id = ${bob.id}
      and target_id in ${h.gw.dbHandle.sql(Object.values(aliceEstate).filter((v) => typeof v === 'string'))}`;
  expect(audit).toEqual([]);
});
