// Webhooks: endpoints (create with the secret shown once, events filter, pause/resume, rotate, test) and the
// deliveries table (failed first) with what the endpoint answered, the payload and a retry button.
import {
  EVENT_TYPES,
  type EventType,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookEndpoint,
} from '@whatisup/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../App.tsx';
import { describeError } from '../api.ts';
import {
  ConfirmButton,
  CopyButton,
  Empty,
  Loading,
  Notice,
  Pill,
  useNow,
  useToast,
} from '../components/ui.tsx';
import { useEvents } from '../events.tsx';
import { timeAgo } from '../explain.ts';

export function Webhooks() {
  const api = useApi();
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ endpointId: string; secret: string; rotated: boolean } | null>(null);
  const [tested, setTested] = useState<WebhookDelivery | null>(null);

  const load = useCallback(async () => {
    try {
      setEndpoints((await api.webhookEndpoints.list({ limit: 100 })).data);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);

  const replace = (endpoint: WebhookEndpoint) =>
    setEndpoints((current) => current?.map((item) => (item.id === endpoint.id ? endpoint : item)) ?? current);

  return (
    <section aria-labelledby="webhooks-title">
      <div className="page-head">
        <div>
          <h1 id="webhooks-title">Webhooks</h1>
          <p className="muted">
            We POST every event to your endpoints, signed per Standard Webhooks (verify with{' '}
            <code>verifyWebhook</code> from @whatisup/sdk).
          </p>
        </div>
      </div>
      <CreateEndpoint
        onCreated={(endpoint) => {
          setSecret({ endpointId: endpoint.id, secret: endpoint.secret, rotated: false });
          setEndpoints((current) => [endpoint, ...(current ?? [])]);
        }}
      />
      {secret && <SecretOnce {...secret} onDone={() => setSecret(null)} />}
      {error && (
        <Notice tone="bad" title="Couldn't load your endpoints">
          {error}
        </Notice>
      )}
      {!endpoints && !error && <Loading label="Loading endpoints…" />}
      {endpoints && endpoints.length === 0 && (
        <Empty title="No webhook endpoints yet">
          <p>
            Add the URL of your server above. It must be public (localhost and private addresses are refused).
          </p>
        </Empty>
      )}
      {endpoints && endpoints.length > 0 && (
        <ul className="cards cards-wide" aria-label="Your webhook endpoints">
          {endpoints.map((endpoint) => (
            <EndpointCard
              key={endpoint.id}
              endpoint={endpoint}
              onChanged={replace}
              onDeleted={() =>
                setEndpoints((current) => current?.filter((item) => item.id !== endpoint.id) ?? current)
              }
              onSecret={(value) => setSecret({ endpointId: endpoint.id, secret: value, rotated: true })}
              onTested={setTested}
            />
          ))}
        </ul>
      )}
      <Deliveries endpoints={endpoints ?? []} tested={tested} />
    </section>
  );
}

function SecretOnce({
  endpointId,
  secret,
  rotated,
  onDone,
}: {
  endpointId: string;
  secret: string;
  rotated: boolean;
  onDone: () => void;
}) {
  return (
    <div className="notice notice-ok secret" role="status" data-testid="secret-once">
      <strong>
        {rotated ? 'New signing secret' : 'Endpoint created'}: copy the secret now, it is shown only once
      </strong>
      <div className="notice-body">
        <p className="muted small">
          For <code>{endpointId}</code>.{' '}
          {rotated
            ? 'The previous secret keeps signing too for 24 hours, so you can deploy this one first.'
            : ''}
        </p>
        <div className="row">
          <code className="secret-value">{secret}</code>
          <CopyButton text={secret} label="Copy secret" />
          <button type="button" className="btn btn-small btn-ghost" onClick={onDone}>
            I've stored it
          </button>
        </div>
      </div>
    </div>
  );
}

function EventFilter({
  value,
  onChange,
  idPrefix,
}: {
  value: EventType[];
  onChange: (next: EventType[]) => void;
  idPrefix: string;
}) {
  return (
    <fieldset className="events-filter">
      <legend>Events (none ticked = every event)</legend>
      <div className="checks">
        {EVENT_TYPES.map((type) => (
          <label key={type} htmlFor={`${idPrefix}-${type}`} className="check">
            <input
              id={`${idPrefix}-${type}`}
              type="checkbox"
              checked={value.includes(type)}
              onChange={(event) =>
                onChange(event.target.checked ? [...value, type] : value.filter((item) => item !== type))
              }
            />
            {type}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function CreateEndpoint({
  onCreated,
}: {
  onCreated: (endpoint: WebhookEndpoint & { secret: string }) => void;
}) {
  const api = useApi();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState(false);
  return (
    <details className="card" open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>
        <h2>Add an endpoint</h2>
      </summary>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          try {
            onCreated(
              await api.webhookEndpoints.create({
                url: url.trim(),
                ...(events.length ? { events } : {}),
                ...(description.trim() ? { description: description.trim() } : {}),
              }),
            );
            setUrl('');
            setDescription('');
            setEvents([]);
            setOpen(false);
          } catch (failure) {
            setError(describeError(failure));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label htmlFor="endpoint-url">URL</label>
        <input
          id="endpoint-url"
          type="url"
          placeholder="https://example.com/whatisup/webhooks"
          value={url}
          onChange={(event) => setUrl(event.target.value)}
          required
        />
        <label htmlFor="endpoint-description">Description (optional)</label>
        <input
          id="endpoint-description"
          value={description}
          onChange={(event) => setDescription(event.target.value)}
          maxLength={500}
        />
        <EventFilter value={events} onChange={setEvents} idPrefix="create" />
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || !url}>
          {busy ? 'Adding…' : 'Add endpoint'}
        </button>
      </form>
    </details>
  );
}

function EndpointCard({
  endpoint,
  onChanged,
  onDeleted,
  onSecret,
  onTested,
}: {
  endpoint: WebhookEndpoint;
  onChanged: (endpoint: WebhookEndpoint) => void;
  onDeleted: () => void;
  onSecret: (secret: string) => void;
  onTested: (delivery: WebhookDelivery) => void;
}) {
  const api = useApi();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [events, setEvents] = useState<EventType[]>(endpoint.events);
  const act = async (done: string, action: () => Promise<void>) => {
    try {
      await action();
      toast('ok', done);
    } catch (failure) {
      toast('bad', describeError(failure));
    }
  };
  return (
    <li className="card" data-endpoint-id={endpoint.id}>
      <div className="card-main">
        <span className="card-title url">{endpoint.url}</span>
        <Pill value={endpoint.status} />
      </div>
      <p className="muted small">
        {endpoint.description ? `${endpoint.description} · ` : ''}
        <code>{endpoint.id}</code> · {endpoint.events.length ? endpoint.events.join(', ') : 'every event'}
      </p>
      {endpoint.status === 'disabled' && (
        <Notice tone="bad" title="Disabled by the service">
          {endpoint.disabled_reason ?? 'Too many failures.'} Fix your endpoint, then press Resume.
        </Notice>
      )}
      {editing && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void act('Events filter saved.', async () => {
              onChanged(await api.webhookEndpoints.update(endpoint.id, { events }));
              setEditing(false);
            });
          }}
        >
          <EventFilter value={events} onChange={setEvents} idPrefix={endpoint.id} />
          <div className="row">
            <button type="submit" className="btn btn-primary btn-small">
              Save filter
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <div className="row actions">
        {!editing && (
          <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
            Edit events
          </button>
        )}
        {endpoint.status === 'active' ? (
          <button
            type="button"
            className="btn btn-small"
            onClick={() =>
              act('Paused: deliveries are held without spending attempts.', async () =>
                onChanged(await api.webhookEndpoints.pause(endpoint.id)),
              )
            }
          >
            Pause
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-small"
            onClick={() =>
              act('Resumed: held deliveries go out now.', async () =>
                onChanged(await api.webhookEndpoints.resume(endpoint.id)),
              )
            }
          >
            Resume
          </button>
        )}
        <button
          type="button"
          className="btn btn-small"
          onClick={() =>
            act('Test event queued: follow it in Deliveries below.', async () => {
              onTested(await api.webhookEndpoints.test(endpoint.id));
            })
          }
        >
          Send test event
        </button>
        <ConfirmButton
          className="btn btn-small"
          title="Rotate the signing secret?"
          body={
            <p>You get a new secret, shown once. The current one keeps signing alongside it for 24 hours.</p>
          }
          confirmLabel="Rotate secret"
          onConfirm={() =>
            act('Secret rotated.', async () => {
              const rotated = await api.webhookEndpoints.rotateSecret(endpoint.id);
              onChanged(rotated);
              onSecret(rotated.secret);
            })
          }
        >
          Rotate secret
        </ConfirmButton>
        <ConfirmButton
          className="btn btn-small btn-danger-outline"
          danger
          title="Delete this endpoint?"
          body={<p>No more events are sent to {endpoint.url}.</p>}
          confirmLabel="Delete endpoint"
          onConfirm={() =>
            act('Endpoint deleted.', async () => {
              await api.webhookEndpoints.delete(endpoint.id);
              onDeleted();
            })
          }
        >
          Delete
        </ConfirmButton>
      </div>
    </li>
  );
}

type StatusFilter = 'failed' | 'pending' | 'delivered' | 'all';

const TRACK_INTERVAL_MS = 1_000;
const TRACK_LIMIT_MS = 30_000;

function Deliveries({ endpoints, tested }: { endpoints: WebhookEndpoint[]; tested: WebhookDelivery | null }) {
  const api = useApi();
  const toast = useToast();
  const now = useNow(15_000);
  const [status, setStatus] = useState<StatusFilter>('failed');
  const [endpointId, setEndpointId] = useState('');
  const [rows, setRows] = useState<WebhookDelivery[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<WebhookDeliveryDetail | null>(null);

  const load = useCallback(
    async (after?: string) => {
      try {
        const page = await api.webhookDeliveries.list({
          limit: 25,
          ...(status !== 'all' ? { status } : {}),
          ...(endpointId ? { endpoint_id: endpointId } : {}),
          ...(after ? { cursor: after } : {}),
        });
        setRows((current) => (after ? [...(current ?? []), ...page.data] : page.data));
        setCursor(page.next_cursor);
        setError(null);
      } catch (failure) {
        setError(describeError(failure));
      }
    },
    [api, status, endpointId],
  );
  useEffect(() => {
    setRows(null);
    void load();
  }, [load]);

  // Every event becomes deliveries a moment later: refresh the first page (at most every few seconds).
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);
  useEvents(() => {
    if (refreshTimer.current || (rows?.length ?? 0) > 25) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = undefined;
      void load();
    }, 3_000);
  });

  const upsert = useCallback((delivery: WebhookDelivery) => {
    setRows((current) =>
      current?.some((row) => row.id === delivery.id)
        ? current.map((row) => (row.id === delivery.id ? delivery : row))
        : [delivery, ...(current ?? [])],
    );
  }, []);

  /** Follows one delivery (a test event, a retry) until its attempt has landed, updating its row. */
  const track = useCallback(
    async (id: string, settled: (delivery: WebhookDelivery) => boolean): Promise<WebhookDelivery | null> => {
      const deadline = Date.now() + TRACK_LIMIT_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, TRACK_INTERVAL_MS));
        try {
          const delivery = await api.webhookDeliveries.get(id);
          upsert(delivery);
          if (settled(delivery)) return delivery;
        } catch {
          return null;
        }
      }
      return null;
    },
    [api, upsert],
  );

  useEffect(() => {
    if (!tested) return;
    setStatus('all');
    setEndpointId('');
    upsert(tested);
    void track(tested.id, (delivery) => delivery.status !== 'pending').then((final) => {
      if (final?.status === 'delivered') toast('ok', 'Test event delivered: your endpoint answered 2xx.');
      if (final?.status === 'failed')
        toast('bad', `Test event failed: ${final.last_error ?? 'see Deliveries'}`);
    });
  }, [tested, track, upsert, toast]);

  const retry = async (delivery: WebhookDelivery) => {
    try {
      upsert(await api.webhookDeliveries.retry(delivery.id));
      toast('ok', 'Retry queued: one more attempt now.');
      const final = await track(
        delivery.id,
        (current) => current.attempts > delivery.attempts && current.status !== 'pending',
      );
      if (final?.status === 'delivered') toast('ok', 'Retried: delivered.');
      else if (final) toast('bad', `Retry failed: ${final.last_error ?? final.status}`);
    } catch (failure) {
      toast('bad', describeError(failure));
    }
  };

  return (
    <section className="card" aria-labelledby="deliveries-title">
      <div className="row spread">
        <h2 id="deliveries-title">Deliveries</h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <div className="row filters">
        <fieldset className="segmented">
          <legend className="sr-only">Show deliveries by status</legend>
          {(['failed', 'pending', 'delivered', 'all'] as const).map((value) => (
            <button
              key={value}
              type="button"
              aria-pressed={status === value}
              onClick={() => setStatus(value)}
            >
              {value === 'all' ? 'All' : value[0]!.toUpperCase() + value.slice(1)}
            </button>
          ))}
        </fieldset>
        <label className="inline-label">
          Endpoint
          <select value={endpointId} onChange={(event) => setEndpointId(event.target.value)}>
            <option value="">All endpoints</option>
            {endpoints.map((endpoint) => (
              <option key={endpoint.id} value={endpoint.id}>
                {endpoint.url}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <Notice tone="bad" title="Couldn't load deliveries">
          {error}
        </Notice>
      )}
      {!rows && !error && <Loading label="Loading deliveries…" />}
      {rows && rows.length === 0 && (
        <Empty title={status === 'failed' ? 'No failed deliveries' : 'No deliveries here'}>
          <p>
            {status === 'failed'
              ? 'Every delivery reached its endpoint (or is still being tried). Choose All to see them.'
              : 'Events are delivered as they happen; press "Send test event" on an endpoint to try one.'}
          </p>
        </Empty>
      )}
      {rows && rows.length > 0 && (
        <div className="table-wrap">
          <table className="table" aria-label="Webhook deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((delivery) => (
                <tr key={delivery.id} data-delivery-id={delivery.id}>
                  <td data-label="Event">
                    <strong>{delivery.event_type}</strong>
                    <br />
                    <span className="small muted" title={delivery.created_at}>
                      {timeAgo(delivery.created_at, now)}
                    </span>
                  </td>
                  <td data-label="Status">
                    <Pill value={delivery.status} />
                  </td>
                  <td data-label="Attempts">{delivery.attempts}</td>
                  <td data-label="Last answer" data-testid="last-response-status">
                    {delivery.last_response_status ?? (delivery.attempts ? 'no answer' : '—')}
                  </td>
                  <td data-label="Last error" className="error-cell" data-testid="last-error">
                    {delivery.last_error ?? '—'}
                  </td>
                  <td>
                    <div className="row nowrap">
                      <button
                        type="button"
                        className="btn btn-small"
                        onClick={async () => {
                          try {
                            setOpen(await api.webhookDeliveries.get(delivery.id));
                          } catch (failure) {
                            toast('bad', describeError(failure));
                          }
                        }}
                      >
                        Payload
                      </button>
                      {delivery.status !== 'delivered' && (
                        <button
                          type="button"
                          className="btn btn-small btn-primary"
                          onClick={() => void retry(delivery)}
                        >
                          Retry
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" className="btn" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
      {open && <DeliveryDetail delivery={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

function DeliveryDetail({ delivery, onClose }: { delivery: WebhookDeliveryDetail; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  // Keyboard users land on the panel they opened (and Close is one Enter away).
  useEffect(() => close.current?.focus(), []);
  return (
    <section className="detail-panel" aria-label={`Delivery ${delivery.id}`}>
      <div className="row spread">
        <h3>
          Delivery <code>{delivery.id}</code>
        </h3>
        <button type="button" className="btn btn-small btn-ghost" onClick={onClose} ref={close}>
          Close
        </button>
      </div>
      <h4>Payload (the body we POST)</h4>
      <pre className="code-block">{JSON.stringify(delivery.payload, null, 2)}</pre>
      <h4>Attempts</h4>
      {delivery.attempt_log.length === 0 ? (
        <p className="muted">No attempt yet.</p>
      ) : (
        <ol className="attempts">
          {delivery.attempt_log.map((attempt) => (
            <li key={attempt.attempt}>
              #{attempt.attempt} {attempt.trigger} · {new Date(attempt.started_at).toLocaleString()} ·{' '}
              {attempt.duration_ms} ms · {attempt.response_status ?? 'no answer'}
              {attempt.error_class && (
                <>
                  {' '}
                  · <code>{attempt.error_class}</code> {attempt.error_message}
                </>
              )}
              {attempt.response_body && (
                <pre className="response-body" title="Response body (first 1 KB)">
                  {attempt.response_body}
                </pre>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
