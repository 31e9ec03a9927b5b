// Activity: the audit log, newest first, filterable by action and object, loading more as you scroll.
import type { AuditEvent } from '@whatisup/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../App.tsx';
import { describeError } from '../api.ts';
import { Empty, Loading, Notice, useNow } from '../components/ui.tsx';
import { timeAgo } from '../explain.ts';

const ACTIONS = [
  'instance.create',
  'instance.delete',
  'instance.pairing_code',
  'message.send',
  'webhook_endpoint.create',
  'webhook_endpoint.update',
  'webhook_endpoint.delete',
  'webhook_endpoint.pause',
  'webhook_endpoint.resume',
  'webhook_endpoint.rotate_secret',
  'webhook_endpoint.test',
  'webhook_delivery.retry',
];

export function Activity() {
  const api = useApi();
  const now = useNow(15_000);
  const [action, setAction] = useState('');
  const [target, setTarget] = useState('');
  const [applied, setApplied] = useState({ action: '', target: '' });
  const [rows, setRows] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);

  const load = useCallback(
    async (after?: string) => {
      try {
        const page = await api.auditEvents.list({
          limit: 30,
          ...(applied.action ? { action: applied.action } : {}),
          ...(applied.target ? { target_id: applied.target } : {}),
          ...(after ? { cursor: after } : {}),
        });
        setRows((current) => (after ? [...(current ?? []), ...page.data] : page.data));
        setCursor(page.next_cursor);
        setError(null);
      } catch (failure) {
        setError(describeError(failure));
      }
    },
    [api, applied],
  );
  useEffect(() => {
    setRows(null);
    void load();
  }, [load]);

  useEffect(() => {
    const element = sentinel.current;
    if (!element || !cursor) return;
    const observer = new IntersectionObserver(async (entries) => {
      if (!entries.some((entry) => entry.isIntersecting) || loadingMore) return;
      setLoadingMore(true);
      await load(cursor);
      setLoadingMore(false);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [cursor, load, loadingMore]);

  return (
    <section aria-labelledby="activity-title">
      <div className="page-head">
        <div>
          <h1 id="activity-title">Activity</h1>
          <p className="muted">
            Every change made with your API keys: who, what, which object. Every send leaves a row.
          </p>
        </div>
      </div>
      <form
        className="card row filters"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied({ action: action.trim(), target: target.trim() });
        }}
      >
        <label className="inline-label">
          Action
          <input
            list="audit-actions"
            value={action}
            onChange={(event) => setAction(event.target.value)}
            placeholder="any action"
          />
          <datalist id="audit-actions">
            {ACTIONS.map((value) => (
              <option key={value} value={value} />
            ))}
          </datalist>
        </label>
        <label className="inline-label">
          Object id
          <input
            value={target}
            onChange={(event) => setTarget(event.target.value)}
            placeholder="ins_…, whe_…, msg_…"
          />
        </label>
        <button type="submit" className="btn btn-primary">
          Filter
        </button>
        {(applied.action || applied.target) && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => {
              setAction('');
              setTarget('');
              setApplied({ action: '', target: '' });
            }}
          >
            Clear
          </button>
        )}
      </form>
      {error && (
        <Notice tone="bad" title="Couldn't load the activity log">
          {error}
        </Notice>
      )}
      {!rows && !error && <Loading label="Loading activity…" />}
      {rows && rows.length === 0 && (
        <Empty title={applied.action || applied.target ? 'Nothing matches these filters' : 'No activity yet'}>
          <p>
            {applied.action || applied.target
              ? 'Try another action or object id, or clear the filters.'
              : 'Create an instance or a webhook endpoint and it appears here.'}
          </p>
        </Empty>
      )}
      {rows && rows.length > 0 && (
        <ol className="timeline" aria-label="Activity, newest first">
          {rows.map((row) => (
            <li key={row.id} className="timeline-item" data-action={row.action}>
              <div className="row spread">
                <strong>{row.action}</strong>
                <span className="small muted" title={row.created_at}>
                  {timeAgo(row.created_at, now)}
                </span>
              </div>
              <p className="small">
                {row.target.type} <code>{row.target.id}</code> · by{' '}
                {row.actor.type === 'api_key' ? 'API key' : row.actor.type}{' '}
                {row.actor.id && <code>{row.actor.id}</code>}
              </p>
              {Object.keys(row.metadata).length > 0 && (
                <p className="small muted metadata">
                  {Object.entries(row.metadata)
                    .map(
                      ([key, value]) =>
                        `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`,
                    )
                    .join(' · ')}
                </p>
              )}
              {row.correlation_id && <p className="small muted">correlation id {row.correlation_id}</p>}
            </li>
          ))}
        </ol>
      )}
      <div ref={sentinel} aria-hidden="true" />
      {cursor && (
        <button type="button" className="btn" disabled={loadingMore} onClick={() => void load(cursor)}>
          {loadingMore ? 'Loading…' : 'Load older'}
        </button>
      )}
    </section>
  );
}
