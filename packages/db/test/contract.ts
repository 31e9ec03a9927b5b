// The database contract: what every driver behind DbHandle must do the same way. postgres.test.ts runs it
// against Postgres (postgres.js), pglite.test.ts against PGlite; each adds what only its driver has.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '@whatisup/contracts';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AttemptOutcome,
  applyProjections,
  claimDueDeliveries,
  type DbHandle,
  DELIVERIES_DUE_CHANNEL,
  findInstance,
  findKeyPrincipalByHash,
  findMessageByIdempotencyKey,
  insertApiKey,
  insertCustomer,
  insertDeliveries,
  insertInstance,
  insertOutboundMessage,
  insertWebhookEndpoint,
  listFanOutEndpoints,
  MIGRATIONS_FOLDER,
  type NewDelivery,
  notifyDeliveriesDue,
  pauseWebhookEndpoint,
  pendingByEndpoint,
  queryRows,
  recordAttemptOutcomes,
  releaseClaims,
  revokeApiKey,
  rotateWebhookEndpointSecret,
} from '../src/index.ts';

export interface ContractDatabase {
  handle: DbHandle;
  /** Closes the handle and discards the database. */
  dispose(): Promise<void>;
}

const JOURNAL = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};

/** Strings that break naive array or JSON encodings: quotes, braces, commas, backslashes, the word NULL. */
const HOSTILE = ['NULL', 'null', '', ' ', '{a,b}', 'a"b', "a'b", 'back\\slash', 'comma,here', '∑ ünï 😀'];

const LEASE_MS = 30_000;

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The error's Postgres SQLSTATE, looked up through drizzle's wrapping (as the gateway does). */
function sqlState(error: unknown): string | undefined {
  for (let current = error; current && typeof current === 'object'; ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function describeDatabaseContract(driver: string, open: () => Promise<ContractDatabase>): void {
  describe(`database contract (${driver})`, () => {
    let database: ContractDatabase;
    let db: DbHandle['db'];
    beforeEach(async () => {
      database = await open();
      db = database.handle.db;
    });
    afterEach(() => database.dispose());

    async function tenant(name = 'Acme') {
      const customer = await insertCustomer(db, { name });
      const instance = await insertInstance(db, { customerId: customer.id, name: 'line-1' });
      return { customer, instance };
    }

    async function endpoint(customerId: string, events: string[] = []) {
      return insertWebhookEndpoint(db, {
        customerId,
        url: 'https://hooks.example.com/in',
        description: null,
        events,
        secretSealed: 'sealed-1',
      });
    }

    function deliveries(customerId: string, endpointId: string, n: number, claim = false): NewDelivery[] {
      return Array.from({ length: n }, (_, i) => ({
        id: newId('webhookDelivery'),
        customerId,
        endpointId,
        eventId: newId('event'),
        eventType: 'message.received',
        payload: JSON.stringify({ n: i, text: HOSTILE[i % HOSTILE.length] }),
        claim,
      }));
    }

    async function deliveryState(id: string) {
      const [row] = await queryRows<{
        status: string;
        attempts: number;
        leased: boolean;
        due_in_ms: number | null;
        last_error: string | null;
        last_response_status: number | null;
      }>(
        db,
        sql`select status, attempts, lease_expires_at is not null as leased,
          (extract(epoch from next_attempt_at - now()) * 1000)::int as due_in_ms, last_error, last_response_status
          from webhook_deliveries where id = ${id}`,
      );
      return row;
    }

    describe('migrations', () => {
      it('create every table and record each migration once in the same journal', async () => {
        const tables = await queryRows<{ name: string }>(
          db,
          sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
        );
        expect(tables.map((t) => t.name)).toEqual([
          'api_keys',
          'audit_events',
          'bus_consumer_acks',
          'bus_consumers',
          'bus_events',
          'customers',
          'instances',
          'messages',
          'processed_events',
          'webhook_deliveries',
          'webhook_delivery_attempts',
          'webhook_endpoints',
        ]);
        await database.handle.migrate();
        const [journal] = await queryRows<{ n: number }>(
          db,
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        );
        expect(journal!.n).toBe(JOURNAL.entries.length);
      });
    });

    describe('queries', () => {
      it('round-trip rows with dates as Date, through prepared statements and transactions alike', async () => {
        const { customer, instance } = await tenant('Acme "quoted", {braced}');
        expect(customer.createdAt).toBeInstanceOf(Date);
        expect(Math.abs(customer.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        const key = await insertApiKey(db, {
          customerId: customer.id,
          name: 'k',
          prefix: 'wiu_abcd',
          keyHash: 'hash-1',
        });
        // The pool path (prepared) and the transaction path (unprepared) answer the same.
        const pooled = await findKeyPrincipalByHash(db, 'hash-1');
        const inTx = await db.transaction((tx) => findKeyPrincipalByHash(tx, 'hash-1'));
        expect(pooled).toEqual({
          keyId: key.id,
          customerId: customer.id,
          revokedAt: null,
          rateLimitBurst: null,
          rateLimitPerSecond: null,
        });
        expect(inTx).toEqual(pooled);
        await revokeApiKey(db, key.id);
        expect((await findKeyPrincipalByHash(db, 'hash-1'))!.revokedAt).toBeInstanceOf(Date);
        expect(await findKeyPrincipalByHash(db, 'hash-unknown')).toBeUndefined();

        expect((await findInstance(db, customer.id, instance.id))!.name).toBe('line-1');
        const other = await tenant('Other');
        expect(await findInstance(db, other.customer.id, instance.id)).toBeUndefined();
      });

      it('roll back a failed transaction and report unique violations with their SQLSTATE', async () => {
        const { customer, instance } = await tenant();
        const message = {
          customerId: customer.id,
          instanceId: instance.id,
          to: '15550001111',
          type: 'text',
          payload: { text: HOSTILE.join('|') },
          idempotencyKey: 'key-1',
        };
        await expect(
          db.transaction(async (tx) => {
            await insertOutboundMessage(tx, { ...message, id: newId('message') });
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await findMessageByIdempotencyKey(db, customer.id, 'key-1')).toBeUndefined();

        const first = await insertOutboundMessage(db, { ...message, id: newId('message') });
        expect(first.payload).toEqual({ text: HOSTILE.join('|') });
        const duplicate = await insertOutboundMessage(db, { ...message, id: newId('message') }).catch(
          (error: unknown) => error,
        );
        expect(sqlState(duplicate)).toBe('23505');
        // The handle is still usable after the error, and so is a nested transaction (savepoint).
        await db.transaction(async (tx) => {
          await expect(
            tx.transaction(async (inner) => {
              await insertOutboundMessage(inner, {
                ...message,
                id: newId('message'),
                idempotencyKey: 'key-2',
              });
              throw new Error('inner');
            }),
          ).rejects.toThrow('inner');
        });
        expect(await findMessageByIdempotencyKey(db, customer.id, 'key-2')).toBeUndefined();
        expect((await findMessageByIdempotencyKey(db, customer.id, 'key-1'))!.id).toBe(first.id);
      });

      it('runs queries issued together inside one transaction (no wait on the root handle)', async () => {
        const { customer } = await tenant();
        const ids = await db.transaction(async (tx) =>
          Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              insertInstance(tx, { customerId: customer.id, name: `line-${i + 2}` }).then((r) => r.id),
            ),
          ),
        );
        expect(new Set(ids).size).toBe(10);
        await database.handle.ping();
      });
    });

    describe('delivery dispatch', () => {
      it('fans out to the customer’s live endpoints only, hostile strings intact', async () => {
        const a = await tenant('A');
        const b = await tenant('B');
        const live = await endpoint(a.customer.id, ['message.received', 'NULL', '{a,b}']);
        const paused = await endpoint(a.customer.id);
        await pauseWebhookEndpoint(db, a.customer.id, paused.id);
        await endpoint(b.customer.id);
        const fanOut = await listFanOutEndpoints(db, [a.customer.id]);
        expect(fanOut.map((e) => [e.id, e.paused]).sort()).toEqual(
          [
            [live.id, false],
            [paused.id, true],
          ].sort(),
        );
        expect(fanOut.find((e) => e.id === live.id)!.events).toEqual(['message.received', 'NULL', '{a,b}']);
        expect(await listFanOutEndpoints(db, [])).toEqual([]);
        expect(await listFanOutEndpoints(db, ['cus_unknown', ...HOSTILE])).toEqual([]);
      });

      it('inserts a batch in one statement, skips redelivered events and wakes listeners only for unclaimed rows', async () => {
        const { customer } = await tenant();
        const hook = await endpoint(customer.id);
        const wakes: string[] = [];
        const unlisten = await database.handle.listen(DELIVERIES_DUE_CHANNEL, (payload) =>
          wakes.push(payload),
        );
        try {
          const claimedRows = deliveries(customer.id, hook.id, 3, true);
          const claimed = await insertDeliveries(db, claimedRows, LEASE_MS);
          expect(claimed.inserted).toBe(3);
          expect([...claimed.claimed].sort()).toEqual(claimedRows.map((r) => r.id).sort());
          const leased = await deliveryState(claimedRows[0]!.id);
          expect(leased).toMatchObject({ status: 'pending', attempts: 1, leased: true });
          expect(leased!.due_in_ms).toBeGreaterThan(LEASE_MS - 10_000);

          const rows = deliveries(customer.id, hook.id, 1000);
          const result = await insertDeliveries(db, rows);
          expect(result).toEqual({ inserted: 1000, claimed: new Set() });
          await until(() => wakes.length > 0);
          expect(wakes[0]).toBe('');

          // The same (endpoint, event) pairs again: nothing inserted, nothing claimed.
          const again = await insertDeliveries(
            db,
            rows.slice(0, 5).map((r) => ({ ...r, id: newId('webhookDelivery'), claim: true })),
            LEASE_MS,
          );
          expect(again).toEqual({ inserted: 0, claimed: new Set() });
          const [stored] = await queryRows<{ n: number; texts: string[] }>(
            db,
            sql`select count(*)::int as n, array_agg(distinct payload->>'text') as texts from webhook_deliveries`,
          );
          expect(stored!.n).toBe(1003);
          expect(stored!.texts.sort()).toEqual([...HOSTILE].sort());
        } finally {
          await unlisten();
        }
      });

      it('claims due deliveries oldest first within the per-endpoint cap, skipping busy, paused and leased ones', async () => {
        const { customer } = await tenant();
        const hookA = await endpoint(customer.id);
        const hookB = await endpoint(customer.id);
        const hookPaused = await endpoint(customer.id);
        const rowsA = deliveries(customer.id, hookA.id, 5);
        const rowsB = deliveries(customer.id, hookB.id, 5);
        for (const row of [...rowsA, ...rowsB, ...deliveries(customer.id, hookPaused.id, 3)])
          await insertDeliveries(db, [row]);
        await pauseWebhookEndpoint(db, customer.id, hookPaused.id);
        await rotateWebhookEndpointSecret(db, customer.id, hookA.id, {
          secretSealed: 'sealed-2',
          overlapSeconds: 3600,
        });

        const options = { limit: 100, scan: 1000, perEndpointCap: 2, leaseMs: LEASE_MS };
        const first = await claimDueDeliveries(db, { ...options, busy: new Map([[hookB.id, 1]]) });
        expect(first.filter((d) => d.endpointId === hookA.id).map((d) => d.id)).toEqual(
          rowsA.slice(0, 2).map((r) => r.id),
        );
        expect(first.filter((d) => d.endpointId === hookB.id).map((d) => d.id)).toEqual([rowsB[0]!.id]);
        expect(first).toHaveLength(3);
        const claimedA = first.find((d) => d.id === rowsA[0]!.id)!;
        expect(claimedA).toMatchObject({
          customerId: customer.id,
          eventId: rowsA[0]!.eventId,
          eventType: 'message.received',
          payload: { n: 0, text: HOSTILE[0] },
          attempt: 1,
          manualAttempts: 0,
          trigger: 'scheduled',
          url: 'https://hooks.example.com/in',
          secretSealed: 'sealed-2',
          previousSecretSealed: 'sealed-1',
        });
        expect(typeof claimedA.attempt).toBe('number');

        // Saturated endpoints are skipped outright; leased rows are not due again.
        const second = await claimDueDeliveries(db, {
          ...options,
          busy: new Map([
            [hookA.id, 2],
            [hookB.id, 0],
          ]),
        });
        expect(second.map((d) => d.id)).toEqual(rowsB.slice(1, 3).map((r) => r.id));

        // Two claims at once never hand out the same delivery.
        const [x, y] = await Promise.all([
          claimDueDeliveries(db, { ...options, perEndpointCap: 10, busy: new Map() }),
          claimDueDeliveries(db, { ...options, perEndpointCap: 10, busy: new Map() }),
        ]);
        const both = [...x!, ...y!].map((d) => d.id);
        expect(new Set(both).size).toBe(both.length);
        expect(both.sort()).toEqual([...rowsA.slice(2), ...rowsB.slice(3)].map((r) => r.id).sort());
        expect(await claimDueDeliveries(db, { ...options, busy: new Map() })).toEqual([]);
      });

      it('records a batch of outcomes: delivered, retry, failed, 410 disabling, and ignores a stale attempt', async () => {
        const { customer } = await tenant();
        const hook = await endpoint(customer.id);
        const gone = await endpoint(customer.id);
        const rows = [
          ...deliveries(customer.id, hook.id, 4, true),
          ...deliveries(customer.id, gone.id, 1, true),
        ];
        await insertDeliveries(db, rows, LEASE_MS);
        const [delivered, retry, failed, stale, disabled] = rows.map((r) => r.id) as [
          string,
          string,
          string,
          string,
          string,
        ];
        const base = {
          trigger: 'scheduled',
          startedAt: new Date(),
          durationMs: 12,
          responseStatus: null,
          errorClass: null,
          errorMessage: null,
          responseBody: null,
          retryInMs: null,
          disableEndpointReason: null,
          endpointId: hook.id,
          attempt: 1,
        } satisfies Partial<AttemptOutcome>;
        const outcomes: AttemptOutcome[] = [
          {
            ...base,
            deliveryId: delivered,
            status: 'delivered',
            responseStatus: 200,
            responseBody: 'ok "quoted"',
          },
          {
            ...base,
            deliveryId: retry,
            status: 'pending',
            retryInMs: 60_000,
            responseStatus: 503,
            errorClass: 'http_status',
            errorMessage: 'HTTP 503, {x,y} \\ "NULL"',
          },
          { ...base, deliveryId: failed, status: 'failed', errorClass: 'timeout', errorMessage: 'timed out' },
          // Attempt 2 of a delivery whose attempt counter is 1: an outcome that lost its lease.
          { ...base, deliveryId: stale, attempt: 2, status: 'delivered', responseStatus: 200 },
          {
            ...base,
            deliveryId: disabled,
            endpointId: gone.id,
            status: 'failed',
            responseStatus: 410,
            disableEndpointReason: 'receiver answered 410 Gone',
          },
        ];
        await recordAttemptOutcomes(db, outcomes);
        await recordAttemptOutcomes(db, outcomes.slice(0, 1)); // a retried flush adds nothing

        expect(await deliveryState(delivered)).toMatchObject({ status: 'delivered', leased: false });
        const retried = await deliveryState(retry);
        expect(retried).toMatchObject({
          status: 'pending',
          leased: false,
          last_error: 'HTTP 503, {x,y} \\ "NULL"',
          last_response_status: 503,
        });
        expect(retried!.due_in_ms).toBeGreaterThan(30_000);
        expect(await deliveryState(failed)).toMatchObject({ status: 'failed', last_error: 'timed out' });
        expect(await deliveryState(stale)).toMatchObject({ status: 'pending', leased: true });
        expect(await deliveryState(disabled)).toMatchObject({ status: 'failed', last_response_status: 410 });

        const attempts = await queryRows<{
          delivery_id: string;
          response_body: string | null;
          started_at: string;
        }>(
          db,
          sql`select delivery_id, response_body, started_at::text from webhook_delivery_attempts order by delivery_id`,
        );
        expect(attempts).toHaveLength(5);
        expect(attempts.find((a) => a.delivery_id === delivered)!.response_body).toBe('ok "quoted"');
        const [endpointRow] = await queryRows<{ disabled: boolean; reason: string | null }>(
          db,
          sql`select disabled_at is not null as disabled, disabled_reason as reason from webhook_endpoints
            where id = ${gone.id}`,
        );
        expect(endpointRow).toEqual({ disabled: true, reason: 'receiver answered 410 Gone' });
        expect(await recordAttemptOutcomes(db, [])).toBeUndefined();
      });

      it('gives back unstarted claims and reports the pending depth per endpoint as numbers', async () => {
        const { customer } = await tenant();
        const hook = await endpoint(customer.id);
        const rows = deliveries(customer.id, hook.id, 3, true);
        await insertDeliveries(db, rows, LEASE_MS);
        await releaseClaims(db, [
          { id: rows[0]!.id, attempt: 1, trigger: 'scheduled' },
          { id: rows[1]!.id, attempt: 7, trigger: 'scheduled' }, // not this claim's attempt: untouched
        ]);
        expect(await deliveryState(rows[0]!.id)).toMatchObject({ attempts: 0, leased: false });
        expect((await deliveryState(rows[0]!.id))!.due_in_ms).toBeLessThanOrEqual(0);
        expect(await deliveryState(rows[1]!.id)).toMatchObject({ attempts: 1, leased: true });
        await releaseClaims(db, []);

        const [depth] = await pendingByEndpoint(db, 10);
        expect(depth).toMatchObject({ endpointId: hook.id, pending: 3 });
        expect(typeof depth!.oldestPendingSeconds).toBe('number');
        expect(depth!.oldestPendingSeconds).toBeGreaterThanOrEqual(0);
      });
    });

    describe('notifications', () => {
      it('deliver NOTIFY to listeners until they unsubscribe', async () => {
        const received: string[] = [];
        const unlisten = await database.handle.listen(DELIVERIES_DUE_CHANNEL, (payload) =>
          received.push(payload),
        );
        await notifyDeliveriesDue(db);
        await until(() => received.length === 1);
        await db.execute(sql`select pg_notify(${'wiu_other_channel'}::text, 'x')`);
        await unlisten();
        await notifyDeliveriesDue(db);
        // A notification sent after the unsubscribe is not delivered; give it time to arrive if it would.
        await db.execute(sql`select pg_notify(${DELIVERIES_DUE_CHANNEL}::text, 'late')`);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(received).toEqual(['']);
      });
    });

    describe('projection', () => {
      it('applies each event once, moves statuses forward only and keeps instance patches in event order', async () => {
        const { customer, instance } = await tenant();
        const out = await insertOutboundMessage(db, {
          id: newId('message'),
          customerId: customer.id,
          instanceId: instance.id,
          to: '15550001111',
          type: 'text',
          payload: { text: 'hi' },
          idempotencyKey: null,
        });
        const ids = Array.from({ length: 6 }, () => newId('event'));
        const [e1, e2, e3, e4, e5, e6] = ids as [string, string, string, string, string, string];
        const scope = { customerId: customer.id, instanceId: instance.id };
        const inboundId = newId('message');
        const fresh = await applyProjections(
          db,
          [e1, e2, e3, e4],
          [
            {
              kind: 'instance',
              eventId: e1,
              ...scope,
              status: 'connected',
              phone: '15550009999',
              pushName: 'Ann "A"',
            },
            {
              kind: 'message_status',
              eventId: e2,
              ...scope,
              messageId: out.id,
              status: 'read',
              waMessageId: 'WA1',
              error: null,
            },
            {
              kind: 'message_status',
              eventId: e3,
              ...scope,
              messageId: out.id,
              status: 'sent',
              waMessageId: null,
              error: null,
            },
            {
              kind: 'message_in',
              eventId: e4,
              ...scope,
              messageId: inboundId,
              waMessageId: 'WA2',
              type: 'text',
              payload: { text: HOSTILE.join(',') },
              createdAt: new Date('2026-01-02T03:04:05.678Z'),
            },
          ],
        );
        expect([...fresh].sort()).toEqual([e1, e2, e3, e4].sort());
        // Redelivered events change nothing; an older instance event cannot roll the state back.
        expect(
          await applyProjections(
            db,
            [e1, e5],
            [
              { kind: 'instance', eventId: e1, ...scope, status: 'disconnected' },
              { kind: 'instance', eventId: e5, ...scope, lastError: { code: 'x', message: 'y' } },
            ],
          ),
        ).toEqual(new Set([e5]));
        const older = newId('event').replace(/^evt_.{10}/, 'evt_0000000000');
        await applyProjections(
          db,
          [older],
          [{ kind: 'instance', eventId: older, ...scope, status: 'qr_required' }],
        );
        await applyProjections(db, [e6], [{ kind: 'instance', eventId: e6, ...scope, pushName: null }]);

        const [inst] = await queryRows<Record<string, unknown>>(
          db,
          sql`select status, phone, push_name, last_error_code, last_error, last_event_id from instances
            where id = ${instance.id}`,
        );
        expect(inst).toEqual({
          status: 'connected',
          phone: '15550009999',
          push_name: null,
          last_error_code: 'x',
          last_error: 'y',
          last_event_id: e6,
        });
        const messages = await queryRows<Record<string, unknown>>(
          db,
          sql`select id, direction, status, wa_message_id, payload, created_at::text as created
            from messages order by direction`,
        );
        expect(messages).toEqual([
          {
            id: inboundId,
            direction: 'in',
            status: 'delivered',
            wa_message_id: 'WA2',
            payload: { text: HOSTILE.join(',') },
            created: expect.stringMatching(/^2026-01-02 03:04:05\.678/),
          },
          {
            id: out.id,
            direction: 'out',
            status: 'read',
            wa_message_id: 'WA1',
            payload: { text: 'hi' },
            created: expect.any(String),
          },
        ]);
        expect(await applyProjections(db, [], [])).toEqual(new Set());
      });

      it('never writes into another customer’s instance or message', async () => {
        const a = await tenant('A');
        const b = await tenant('B');
        const eventId = newId('event');
        await applyProjections(
          db,
          [eventId],
          [
            {
              kind: 'instance',
              eventId,
              customerId: a.customer.id,
              instanceId: b.instance.id,
              status: 'connected',
            },
          ],
        );
        expect((await findInstance(db, b.customer.id, b.instance.id))!.status).not.toBe('connected');
        const inbound = newId('event');
        await applyProjections(
          db,
          [inbound],
          [
            {
              kind: 'message_in',
              eventId: inbound,
              customerId: a.customer.id,
              instanceId: b.instance.id,
              messageId: newId('message'),
              waMessageId: 'WA',
              type: 'text',
              payload: {},
              createdAt: new Date(),
            },
          ],
        );
        const [count] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from messages`);
        expect(count!.n).toBe(0);
      });
    });
  });
}
