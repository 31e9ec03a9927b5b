// The delivery service's hot path, batched: fan-out inserts, the dispatcher's claim and its outcomes. Raw SQL
// through drizzle (unnest of array parameters, each with an explicit cast) so that one statement carries a
// whole batch, on Postgres and on PGlite alike.
import { sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../client.ts';
import { DELIVERIES_DUE_CHANNEL } from './webhook-deliveries.ts';

/** One array parameter (a bare array in drizzle's `sql` would become a list of parameters). */
const array = (values: readonly unknown[]) => sql.param(values);

export interface FanOutEndpoint {
  id: string;
  customerId: string;
  /** Empty means every event type. */
  events: string[];
  paused: boolean;
  url: string;
  secretSealed: string;
  /** The previous secret while its rotation overlap lasts, else null. */
  previousSecretSealed: string | null;
}

/** Endpoints that receive new events: not disabled (paused ones do: their deliveries wait). */
export async function listFanOutEndpoints(db: Executor, customerIds: string[]): Promise<FanOutEndpoint[]> {
  if (customerIds.length === 0) return [];
  return queryRows<FanOutEndpoint>(
    db,
    sql`
    select id, customer_id as "customerId", events, paused_at is not null as paused, url,
      secret_sealed as "secretSealed",
      case when previous_secret_expires_at > now() then previous_secret_sealed end as "previousSecretSealed"
    from webhook_endpoints
    where customer_id = any(${array(customerIds)}::text[]) and disabled_at is null`,
    'wiu_fan_out_endpoints',
  );
}

export interface NewDelivery {
  id: string;
  customerId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  /** The envelope as JSON text. */
  payload: string;
  /**
   * Claimed by the inserting process at once (its first attempt is spent and leased to it), saving the claim
   * query and the wake-up on the way to the first attempt.
   */
  claim?: boolean;
}

/**
 * Inserts the deliveries in one statement (one transaction), skipping any (endpoint, event) pair that already
 * exists (a redelivered event), and wakes the dispatchers when an unclaimed one was inserted. Returns the
 * number inserted and the ids of the claimed ones actually inserted (leased for `leaseMs`).
 */
export async function insertDeliveries(
  db: Executor,
  rows: NewDelivery[],
  leaseMs = 0,
): Promise<{ inserted: number; claimed: Set<string> }> {
  if (rows.length === 0) return { inserted: 0, claimed: new Set() };
  const result = await queryRows<{ id: string | null; inserted: number }>(
    db,
    sql`
    with inserted as (
      insert into webhook_deliveries (id, customer_id, endpoint_id, event_id, event_type, payload, attempts,
        last_attempt_at, lease_expires_at, next_attempt_at)
      select id, customer_id, endpoint_id, event_id, event_type, payload::jsonb,
        case when claim::bool then 1 else 0 end,
        case when claim::bool then now() end,
        case when claim::bool then now() + ${leaseMs}::int * interval '1 millisecond' end,
        case when claim::bool then now() + ${leaseMs}::int * interval '1 millisecond' else now() end
      from unnest(
        ${array(rows.map((r) => r.id))}::text[], ${array(rows.map((r) => r.customerId))}::text[],
        ${array(rows.map((r) => r.endpointId))}::text[], ${array(rows.map((r) => r.eventId))}::text[],
        ${array(rows.map((r) => r.eventType))}::text[], ${array(rows.map((r) => r.payload))}::text[],
        ${array(rows.map((r) => (r.claim === true ? 'true' : 'false')))}::text[]
      ) as v(id, customer_id, endpoint_id, event_id, event_type, payload, claim)
      on conflict (endpoint_id, event_id) do nothing
      returning id, lease_expires_at is not null as claimed
    ), counted as (
      select count(*)::int as inserted, count(*) filter (where not claimed) as unclaimed from inserted
    ), notified as (
      select case when unclaimed > 0 then pg_notify(${DELIVERIES_DUE_CHANNEL}::text, '') end from counted
    )
    select i.id, c.inserted from counted c left join inserted i on i.claimed
    cross join notified`,
    'wiu_insert_deliveries',
  );
  return {
    inserted: result[0]?.inserted ?? 0,
    claimed: new Set(result.flatMap((r) => (r.id ? [r.id] : []))),
  };
}

export interface ClaimOptions {
  limit: number;
  /** How far ahead of the due index the claim looks for rows (rows of saturated endpoints are skipped). */
  scan: number;
  perEndpointCap: number;
  /** This dispatcher's attempts in flight, per endpoint (endpoints at the cap are skipped). */
  busy: Map<string, number>;
  leaseMs: number;
}

export interface ClaimedDelivery {
  id: string;
  customerId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: Record<string, unknown>;
  /** This attempt's number (1-based). */
  attempt: number;
  manualAttempts: number;
  trigger: 'scheduled' | 'manual' | 'test';
  url: string;
  secretSealed: string;
  /** The secret replaced by the last rotation while it still signs (its overlap has not ended), else null. */
  previousSecretSealed: string | null;
}

/**
 * Claims due deliveries of endpoints that are neither paused nor disabled, oldest due first, at most
 * `perEndpointCap - busy` per endpoint. `FOR UPDATE SKIP LOCKED` keeps concurrent claimers apart; the claim
 * itself is a lease (next_attempt_at = lease_expires_at = now() + leaseMs), committed at once, so no other
 * dispatcher takes the delivery while its attempt is in flight, and a dispatcher that dies gives it back
 * when the lease ends. The attempt counter is spent here.
 */
export async function claimDueDeliveries(db: Executor, opts: ClaimOptions): Promise<ClaimedDelivery[]> {
  const saturated = [...opts.busy].filter(([, n]) => n >= opts.perEndpointCap).map(([id]) => id);
  const busyIds = [...opts.busy.keys()];
  const busyCounts = busyIds.map((id) => opts.busy.get(id)!);
  return queryRows<ClaimedDelivery>(
    db,
    sql`
    with window_rows as (
      select d.id, d.endpoint_id, d.next_attempt_at
      from webhook_deliveries d
      where d.status = 'pending' and d.next_attempt_at <= now()
        and d.endpoint_id <> all(${array(saturated)}::text[])
        and exists (
          select 1 from webhook_endpoints e
          where e.id = d.endpoint_id and e.paused_at is null and e.disabled_at is null)
      order by d.next_attempt_at
      limit ${opts.scan}::int
    ), ranked as (
      select w.id, w.next_attempt_at,
        row_number() over (partition by w.endpoint_id order by w.next_attempt_at, w.id) as rn,
        coalesce(b.n, 0) as busy
      from window_rows w
      left join unnest(${array(busyIds)}::text[], ${array(busyCounts)}::int[]) as b(endpoint_id, n) on b.endpoint_id = w.endpoint_id
    ), locked as (
      select d.id from webhook_deliveries d
      join ranked r on r.id = d.id
      where r.rn <= ${opts.perEndpointCap}::int - r.busy
        and d.status = 'pending' and d.next_attempt_at <= now()
      order by d.next_attempt_at, d.id
      limit ${opts.limit}::int
      for update of d skip locked
    )
    update webhook_deliveries d set
      attempts = d.attempts + 1,
      manual_attempts = d.manual_attempts + (case when d.next_trigger = 'manual' then 1 else 0 end),
      last_attempt_at = now(),
      lease_expires_at = now() + ${opts.leaseMs}::int * interval '1 millisecond',
      next_attempt_at = now() + ${opts.leaseMs}::int * interval '1 millisecond'
    from locked, webhook_endpoints e
    where d.id = locked.id and e.id = d.endpoint_id
    returning d.id, d.customer_id as "customerId", d.endpoint_id as "endpointId", d.event_id as "eventId",
      d.event_type as "eventType", d.payload, d.attempts as attempt, d.manual_attempts as "manualAttempts",
      d.next_trigger as trigger, e.url, e.secret_sealed as "secretSealed",
      case when e.previous_secret_expires_at > now() then e.previous_secret_sealed end as "previousSecretSealed"`,
    'wiu_claim_due_deliveries',
  );
}

export interface AttemptOutcome {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  trigger: string;
  startedAt: Date;
  durationMs: number;
  responseStatus: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  responseBody: string | null;
  /** delivered, failed (no more automatic attempts) or pending (next attempt after retryInMs). */
  status: 'delivered' | 'pending' | 'failed';
  retryInMs: number | null;
  /** Set when the receiver answered 410 Gone: the endpoint is disabled with this reason. */
  disableEndpointReason: string | null;
}

/**
 * Records a batch of attempt outcomes in one transaction: the attempt log rows, the deliveries' new state
 * (only where this attempt still holds the delivery: a lease that ran out and was claimed again by another
 * dispatcher leaves the newer attempt in charge) and endpoints disabled by 410 Gone.
 */
export async function recordAttemptOutcomes(db: Executor, outcomes: AttemptOutcome[]): Promise<void> {
  if (outcomes.length === 0) return;
  const col = <K extends keyof AttemptOutcome>(key: K) => array(outcomes.map((o) => o[key]));
  const disable = outcomes.filter((o) => o.disableEndpointReason !== null);
  await db.transaction(async (tx) => {
    await queryRows(
      tx,
      sql`
      insert into webhook_delivery_attempts
        (delivery_id, attempt, trigger, started_at, duration_ms, response_status, error_class, error_message, response_body)
      select delivery_id, attempt, trigger, started_at::timestamptz, duration_ms, response_status, error_class,
        error_message, response_body
      from unnest(
        ${col('deliveryId')}::text[], ${col('attempt')}::int[], ${col('trigger')}::text[],
        ${array(outcomes.map((o) => o.startedAt.toISOString()))}::text[], ${col('durationMs')}::int[],
        ${col('responseStatus')}::int[], ${col('errorClass')}::text[], ${col('errorMessage')}::text[],
        ${col('responseBody')}::text[]
      ) as v(delivery_id, attempt, trigger, started_at, duration_ms, response_status, error_class, error_message, response_body)
      on conflict do nothing`,
      'wiu_record_attempts',
    );
    await queryRows(
      tx,
      sql`
      update webhook_deliveries d set
        status = v.status,
        next_attempt_at = case when v.status = 'pending' then now() + v.retry_ms * interval '1 millisecond' end,
        lease_expires_at = null,
        next_trigger = 'scheduled',
        last_error = v.error,
        last_response_status = v.response_status,
        delivered_at = case when v.status = 'delivered' then now() else d.delivered_at end
      from unnest(
        ${col('deliveryId')}::text[], ${col('attempt')}::int[], ${col('status')}::text[],
        ${col('retryInMs')}::int[], ${col('errorMessage')}::text[], ${col('responseStatus')}::int[]
      ) as v(id, attempt, status, retry_ms, error, response_status)
      where d.id = v.id and d.attempts = v.attempt and d.lease_expires_at is not null`,
      'wiu_record_outcomes',
    );
    if (disable.length > 0) {
      await queryRows(
        tx,
        sql`
        update webhook_endpoints e set disabled_at = now(), disabled_reason = v.reason, updated_at = now()
        from unnest(${array(disable.map((o) => o.endpointId))}::text[],
          ${array(disable.map((o) => o.disableEndpointReason))}::text[]) as v(id, reason)
        where e.id = v.id and e.disabled_at is null`,
        'wiu_disable_gone_endpoints',
      );
    }
  });
}

export interface QueueDepth {
  endpointId: string;
  pending: number;
  oldestPendingSeconds: number;
}

/** The endpoints with the most pending deliveries (for /metrics; bounded so label cardinality stays small). */
export async function pendingByEndpoint(db: Executor, limit: number): Promise<QueueDepth[]> {
  return queryRows<QueueDepth>(
    db,
    sql`
    select endpoint_id as "endpointId", count(*)::int as pending,
      extract(epoch from now() - min(created_at))::float8 as "oldestPendingSeconds"
    from webhook_deliveries where status = 'pending'
    group by endpoint_id order by count(*) desc limit ${limit}::int`,
    'wiu_pending_by_endpoint',
  );
}

/**
 * Gives back claimed deliveries whose attempt never started (shutdown, or held locally too long to start
 * safely within the lease): the claim's attempt is not spent and the delivery is due again at once.
 */
export async function releaseClaims(
  db: Executor,
  claims: { id: string; attempt: number; trigger: string }[],
): Promise<void> {
  if (claims.length === 0) return;
  await queryRows(
    db,
    sql`
    update webhook_deliveries d set
      attempts = d.attempts - 1,
      manual_attempts = d.manual_attempts - (case when v.trigger = 'manual' then 1 else 0 end),
      lease_expires_at = null,
      next_attempt_at = now()
    from unnest(
      ${array(claims.map((c) => c.id))}::text[], ${array(claims.map((c) => c.attempt))}::int[],
      ${array(claims.map((c) => c.trigger))}::text[]
    ) as v(id, attempt, trigger)
    where d.id = v.id and d.attempts = v.attempt and d.lease_expires_at is not null`,
    'wiu_release_claims',
  );
}
