// Instances: live state badges, create, and the per-row actions (restart, log out, delete).
import type { EventEnvelope, Instance } from '@whatisup/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../App.tsx';
import { describeError } from '../api.ts';
import { ConfirmButton, Empty, Loading, Notice, StatusBadge, useToast } from '../components/ui.tsx';
import { useEvents } from '../events.tsx';
import { go } from '../router.ts';
import { applyInstanceEvent, withNewerEvents } from './instance-events.ts';

export function Instances() {
  const api = useApi();
  const toast = useToast();
  const [instances, setInstances] = useState<Instance[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Events seen while a read is in flight: the projector may not have stored them yet.
  const seen = useRef<EventEnvelope[]>([]);

  const load = useCallback(async () => {
    try {
      const all: Instance[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.instances.list({ limit: 100, ...(cursor ? { cursor } : {}) });
        all.push(...page.data);
        cursor = page.next_cursor ?? undefined;
      } while (cursor && all.length < 500);
      setInstances(
        all.map((instance) =>
          withNewerEvents(
            instance,
            seen.current.filter((event) => event.instance_id === instance.id),
          ),
        ),
      );
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  useEvents((event) => {
    if (event.type === 'instance.created' || event.type === 'instance.deleted') {
      void load();
      return;
    }
    seen.current = [...seen.current.slice(-50), event];
    setInstances(
      (current) =>
        current?.map((instance) =>
          instance.id === event.instance_id ? applyInstanceEvent(instance, event) : instance,
        ) ?? current,
    );
  });

  return (
    <section aria-labelledby="instances-title">
      <div className="page-head">
        <div>
          <h1 id="instances-title">Instances</h1>
          <p className="muted">Each instance is one WhatsApp number linked to your account.</p>
        </div>
      </div>
      <CreateInstance
        onCreated={(instance) => {
          setInstances((current) => [...(current ?? []).filter((item) => item.id !== instance.id), instance]);
          toast('ok', `Instance "${instance.name}" created: scan its QR code to link a number.`);
          go(`/instances/${instance.id}`);
        }}
      />
      {error && (
        <Notice tone="bad" title="Couldn't load your instances">
          {error}{' '}
          <button type="button" className="btn btn-small" onClick={() => void load()}>
            Try again
          </button>
        </Notice>
      )}
      {!instances && !error && <Loading label="Loading instances…" />}
      {instances && instances.length === 0 && (
        <Empty title="No instances yet">
          <p>
            Create one above, then scan its QR code with WhatsApp on your phone (Settings → Linked devices).
          </p>
        </Empty>
      )}
      {instances && instances.length > 0 && (
        <ul className="cards" aria-label="Your instances">
          {instances.map((instance) => (
            <li key={instance.id} className="card instance-card" data-instance-id={instance.id}>
              <div className="card-main">
                <a className="card-title" href={`#/instances/${instance.id}`}>
                  {instance.name}
                </a>
                <StatusBadge status={instance.status} />
              </div>
              <p className="muted small">
                {instance.phone
                  ? `+${instance.phone}${instance.push_name ? ` · ${instance.push_name}` : ''}`
                  : instance.status === 'qr_required'
                    ? 'Waiting for a phone to scan its QR code: open it to scan'
                    : 'No number linked yet'}
              </p>
              <p className="muted small">
                <code>{instance.id}</code>
              </p>
              {instance.last_error && instance.status !== 'connected' && (
                <p className="small warn-text">{instance.last_error.message}</p>
              )}
              <InstanceActions
                instance={instance}
                onChanged={(updated) =>
                  setInstances(
                    (current) => current?.map((item) => (item.id === updated.id ? updated : item)) ?? current,
                  )
                }
                onDeleted={() =>
                  setInstances((current) => current?.filter((item) => item.id !== instance.id) ?? current)
                }
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CreateInstance({ onCreated }: { onCreated: (instance: Instance) => void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="card create-form"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        try {
          onCreated(await api.instances.create({ name: name.trim() }));
          setName('');
        } catch (failure) {
          setError(describeError(failure));
        } finally {
          setBusy(false);
        }
      }}
    >
      <label htmlFor="instance-name">New instance</label>
      <div className="row">
        <input
          id="instance-name"
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="e.g. support-line"
          maxLength={100}
          required
          aria-describedby="instance-name-help"
        />
        <button type="submit" className="btn btn-primary" disabled={busy || !name.trim()}>
          {busy ? 'Creating…' : 'Create instance'}
        </button>
      </div>
      <p id="instance-name-help" className="hint">
        A name you recognise, unique in your account.
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function InstanceActions({
  instance,
  onChanged,
  onDeleted,
}: {
  instance: Instance;
  onChanged: (instance: Instance) => void;
  onDeleted: () => void;
}) {
  const api = useApi();
  const toast = useToast();
  const run = async (what: string, action: () => Promise<Instance>) => {
    try {
      onChanged(await action());
      toast('ok', what);
    } catch (failure) {
      toast('bad', describeError(failure));
    }
  };
  return (
    <div className="row actions">
      <button
        type="button"
        className="btn btn-small"
        onClick={() =>
          run('Restarting: it reconnects in a few seconds.', () => api.instances.restart(instance.id))
        }
      >
        Restart
      </button>
      <ConfirmButton
        className="btn btn-small"
        title={`Log out ${instance.name}?`}
        body={
          <p>
            This unlinks the number on WhatsApp and wipes its session. The instance stays; link it again with
            a new QR code.
          </p>
        }
        confirmLabel="Log out"
        onConfirm={() =>
          run('Logged out: fetch a QR code to link again.', () => api.instances.logout(instance.id))
        }
      >
        Log out
      </ConfirmButton>
      <ConfirmButton
        className="btn btn-small btn-danger-outline"
        danger
        title={`Delete ${instance.name}?`}
        body={
          <p>
            This logs the number out, wipes its session and deletes the instance{' '}
            <strong>and its messages</strong>. It cannot be undone.
          </p>
        }
        confirmLabel="Delete instance"
        onConfirm={async () => {
          try {
            await api.instances.delete(instance.id);
            toast('ok', `Instance "${instance.name}" deleted.`);
            onDeleted();
          } catch (failure) {
            toast('bad', describeError(failure));
          }
        }}
      >
        Delete
      </ConfirmButton>
    </div>
  );
}
