// One instance: state, the QR panel (live), pairing code, last error explained, test send, recent messages.
import type { EventEnvelope, Instance, Message } from '@whatisup/sdk';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../App.tsx';
import { describeError, WhatIsUpApiError } from '../api.ts';
import {
  CopyButton,
  Empty,
  Loading,
  Notice,
  Pill,
  StatusBadge,
  useNow,
  useToast,
} from '../components/ui.tsx';
import { useEvents } from '../events.tsx';
import {
  explainInstanceError,
  explainNoQr,
  MSISDN,
  MSISDN_MESSAGE,
  SEND_ERROR_TEXT,
  timeAgo,
} from '../explain.ts';
import { go } from '../router.ts';
import { InstanceActions } from './Instances.tsx';
import { applyInstanceEvent, withNewerEvents } from './instance-events.ts';

export function InstanceDetail({ id }: { id: string }) {
  const api = useApi();
  const [instance, setInstance] = useState<Instance | null>(null);
  const [error, setError] = useState<{ text: string; notFound: boolean } | null>(null);
  // Events seen while the read is in flight: the projector may not have stored them yet.
  const seen = useRef<EventEnvelope[]>([]);

  const load = useCallback(async () => {
    try {
      setInstance(withNewerEvents(await api.instances.get(id), seen.current));
      setError(null);
    } catch (failure) {
      setError({
        text: describeError(failure),
        notFound: failure instanceof WhatIsUpApiError && failure.status === 404,
      });
    }
  }, [api, id]);
  useEffect(() => {
    void load();
  }, [load]);
  useEvents((event) => {
    if (event.instance_id !== id) return;
    if (event.type === 'instance.deleted') return go('/instances');
    seen.current = [...seen.current.slice(-20), event];
    setInstance((current) => (current ? applyInstanceEvent(current, event) : current));
  });

  if (error) {
    return (
      <section>
        <a href="#/instances" className="back">
          ← Instances
        </a>
        <Notice tone="bad" title={error.notFound ? 'No such instance' : "Couldn't load this instance"}>
          {error.notFound ? 'It may have been deleted, or the link belongs to another account.' : error.text}
        </Notice>
      </section>
    );
  }
  if (!instance) return <Loading label="Loading instance…" />;

  const linked = instance.status === 'connected';
  return (
    <section aria-labelledby="instance-title">
      <a href="#/instances" className="back">
        ← Instances
      </a>
      <div className="page-head">
        <div>
          <h1 id="instance-title">
            {instance.name} <StatusBadge status={instance.status} />
          </h1>
          <p className="muted small">
            <code>{instance.id}</code> <CopyButton text={instance.id} label="Copy id" />
          </p>
        </div>
        <InstanceActions instance={instance} onChanged={setInstance} onDeleted={() => go('/instances')} />
      </div>

      <div className="grid">
        <div className="stack">
          {linked ? (
            <LinkedPanel instance={instance} />
          ) : (
            <QrPanel
              instance={instance}
              onQrShown={() =>
                // A QR exists, so the instance waits for a scan (its qr.updated may predate this page).
                setInstance((current) =>
                  current && (current.status === 'created' || current.status === 'connecting')
                    ? { ...current, status: 'qr_required' }
                    : current,
                )
              }
            />
          )}
          {!linked && <PairingPanel instance={instance} />}
          {instance.last_error && !linked && <LastError error={instance.last_error} />}
        </div>
        <div className="stack">
          <SendPanel instance={instance} />
        </div>
      </div>
      <Messages instance={instance} />
    </section>
  );
}

function LinkedPanel({ instance }: { instance: Instance }) {
  return (
    <section className="card" aria-labelledby="linked-title">
      <h2 id="linked-title">Linked phone</h2>
      <dl className="facts">
        <dt>Number</dt>
        <dd data-testid="phone">{instance.phone ? `+${instance.phone}` : '—'}</dd>
        <dt>Push name</dt>
        <dd>{instance.push_name ?? '—'}</dd>
        <dt>Connected</dt>
        <dd>{instance.connected_at ? new Date(instance.connected_at).toLocaleString() : '—'}</dd>
      </dl>
      <p className="hint">
        Messages sent through the API now leave from this number. To link another number, log out first.
      </p>
    </section>
  );
}

function LastError({ error }: { error: { code: string; message: string } }) {
  const explained = explainInstanceError(error.code, error.message);
  return (
    <Notice tone="warn" title={explained.title}>
      <p>{explained.why}</p>
      <p>
        <strong>What to do:</strong> {explained.todo}
      </p>
      <p className="small muted">
        Code <code>{error.code}</code>
      </p>
    </Notice>
  );
}

type QrState =
  | { kind: 'loading' }
  | { kind: 'image'; url: string; expiresAt: number }
  | { kind: 'unavailable'; status: string | undefined; message: string; retryAfter: number | undefined }
  | { kind: 'error'; message: string };

/** The current QR as an image (GET …/qr, Accept: image/png), fetched again on every qr.updated. */
function QrPanel({ instance, onQrShown }: { instance: Instance; onQrShown: () => void }) {
  const api = useApi();
  const [qr, setQr] = useState<QrState>({ kind: 'loading' });
  const now = useNow(1000);
  const urlRef = useRef<string | null>(null);
  const fetching = useRef(0);
  const onQrShownRef = useRef(onQrShown);
  onQrShownRef.current = onQrShown;

  const fetchQr = useCallback(
    async (expiresHint?: string) => {
      const attempt = ++fetching.current;
      try {
        const image = await api.qrImage(instance.id);
        if (attempt !== fetching.current) return;
        const url = URL.createObjectURL(image.png);
        if (urlRef.current) URL.revokeObjectURL(urlRef.current);
        urlRef.current = url;
        const expiry = Date.parse(image.expiresAt ?? expiresHint ?? '');
        setQr({ kind: 'image', url, expiresAt: Number.isNaN(expiry) ? Date.now() + 20_000 : expiry });
        onQrShownRef.current();
      } catch (failure) {
        if (attempt !== fetching.current) return;
        if (failure instanceof WhatIsUpApiError && failure.code === 'qr_unavailable') {
          setQr({
            kind: 'unavailable',
            status: failure.instanceStatus,
            message: failure.message,
            retryAfter: failure.retryAfter,
          });
        } else setQr({ kind: 'error', message: describeError(failure) });
      }
    },
    [api, instance.id],
  );

  useEffect(() => {
    void fetchQr();
    return () => {
      if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    };
  }, [fetchQr]);

  useEvents((event) => {
    if (event.instance_id !== instance.id || event.type !== 'qr.updated') return;
    void fetchQr(String((event.data as { expires_at?: string }).expires_at ?? ''));
  });

  // A pending QR (409 with Retry-After) is asked for again once, in case its qr.updated was missed.
  useEffect(() => {
    if (qr.kind !== 'unavailable' || !qr.retryAfter) return;
    const timer = setTimeout(() => void fetchQr(), Math.max(3, qr.retryAfter) * 1000);
    return () => clearTimeout(timer);
  }, [qr, fetchQr]);

  const secondsLeft = qr.kind === 'image' ? Math.max(0, Math.round((qr.expiresAt - now) / 1000)) : 0;
  const expired = qr.kind === 'image' && secondsLeft === 0;
  return (
    <section className="card qr-card" aria-labelledby="qr-title">
      <h2 id="qr-title">Link a phone: scan the QR code</h2>
      <ol className="steps">
        <li>Open WhatsApp on the phone whose number you want to use.</li>
        <li>
          Go to <strong>Settings → Linked devices → Link a device</strong>.
        </li>
        <li>Point the phone at this code. The badge turns Connected by itself.</li>
      </ol>
      <div className="qr-box" aria-live="polite">
        {qr.kind === 'loading' && <Loading label="Getting the QR code…" />}
        {qr.kind === 'image' && (
          <>
            <img
              src={qr.url}
              alt="WhatsApp QR code to link this instance"
              className={expired ? 'qr expired' : 'qr'}
              width={264}
              height={264}
              data-testid="qr-image"
            />
            <p className={`small ${secondsLeft <= 5 ? 'warn-text' : 'muted'}`} data-testid="qr-countdown">
              {expired
                ? 'This code has expired. A new one appears here by itself; if none comes, press New QR code.'
                : `Valid for ${secondsLeft} s more. WhatsApp rotates it about every 30 s and a new one replaces it here.`}
            </p>
          </>
        )}
        {qr.kind === 'unavailable' &&
          (() => {
            const explained = explainNoQr(qr.status, qr.message);
            return (
              <Notice tone={qr.status === 'auth_state_unreadable' ? 'bad' : 'info'} title={explained.title}>
                <p>{explained.why}</p>
                <p>
                  <strong>What to do:</strong> {explained.todo}
                </p>
              </Notice>
            );
          })()}
        {qr.kind === 'error' && (
          <Notice tone="bad" title="Couldn't get the QR code">
            {qr.message}
          </Notice>
        )}
      </div>
      <div className="row">
        <button type="button" className="btn" onClick={() => void fetchQr()}>
          New QR code
        </button>
      </div>
    </section>
  );
}

function PairingPanel({ instance }: { instance: Instance }) {
  const api = useApi();
  const [phone, setPhone] = useState('');
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <details className="card">
      <summary>
        <h2>Can't scan? Link with a code instead</h2>
      </summary>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          if (!MSISDN.test(phone)) return setError(MSISDN_MESSAGE.replace(/^to /, 'phone '));
          setBusy(true);
          setError(null);
          try {
            setCode((await api.instances.pairingCode(instance.id, { phone })).code);
          } catch (failure) {
            setError(describeError(failure));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label htmlFor="pairing-phone">Phone number of the WhatsApp account</label>
        <div className="row">
          <input
            id="pairing-phone"
            inputMode="numeric"
            placeholder="4915123456789"
            value={phone}
            onChange={(event) => setPhone(event.target.value.trim())}
          />
          <button type="submit" className="btn" disabled={busy || !phone}>
            {busy ? 'Asking…' : 'Get code'}
          </button>
        </div>
        <p className="hint">Country code and number, digits only.</p>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        {code && (
          <div className="pairing-code">
            <p>
              On the phone:{' '}
              <strong>Settings → Linked devices → Link a device → Link with phone number instead</strong>,
              then type:
            </p>
            <p className="code" data-testid="pairing-code">
              {code}
            </p>
          </div>
        )}
      </form>
    </details>
  );
}

function SendPanel({ instance }: { instance: Instance }) {
  const api = useApi();
  const toast = useToast();
  const [to, setTo] = useState('');
  const [text, setText] = useState('Hello from WhatIsUp!');
  const [toError, setToError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const connected = instance.status === 'connected';
  return (
    <form
      className="card"
      aria-labelledby="send-title"
      noValidate
      onSubmit={async (event) => {
        event.preventDefault();
        if (!MSISDN.test(to)) {
          setToError(MSISDN_MESSAGE);
          return;
        }
        setToError(null);
        setError(null);
        setBusy(true);
        try {
          const message = await api.messages.send(
            instance.id,
            { to, type: 'text', text },
            { idempotencyKey: crypto.randomUUID() },
          );
          toast('ok', `Message queued (${message.id}). Its status updates below.`);
          window.dispatchEvent(new CustomEvent('whatisup:message-sent', { detail: message }));
        } catch (failure) {
          if (
            failure instanceof WhatIsUpApiError &&
            failure.issues?.some((issue) => issue.path === 'body.to')
          ) {
            setToError(failure.issues.find((issue) => issue.path === 'body.to')?.message ?? failure.message);
          } else if (failure instanceof WhatIsUpApiError && failure.code === 'instance_not_connected') {
            setError(SEND_ERROR_TEXT.instance_not_connected!);
          } else setError(describeError(failure));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id="send-title">Send a test message</h2>
      {!connected && <p className="hint">Link a phone first: sending needs a connected instance.</p>}
      <label htmlFor="send-to">To</label>
      <input
        id="send-to"
        inputMode="numeric"
        placeholder="4915123456789"
        value={to}
        onChange={(event) => {
          setTo(event.target.value);
          if (toError && MSISDN.test(event.target.value)) setToError(null);
        }}
        onBlur={() => to && !MSISDN.test(to) && setToError(MSISDN_MESSAGE)}
        aria-invalid={toError ? true : undefined}
        aria-describedby={toError ? 'send-to-error' : 'send-to-help'}
      />
      {toError ? (
        <p id="send-to-error" className="field-error" role="alert">
          {toError}
        </p>
      ) : (
        <p id="send-to-help" className="hint">
          Country code and number, digits only: no +, spaces or dashes.
        </p>
      )}
      <label htmlFor="send-text">Message</label>
      <textarea
        id="send-text"
        rows={3}
        maxLength={4096}
        value={text}
        onChange={(event) => setText(event.target.value)}
        required
      />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={busy || !text}>
        {busy ? 'Sending…' : 'Send message'}
      </button>
    </form>
  );
}

const STATUS_RANK: Record<string, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

function Messages({ instance }: { instance: Instance }) {
  const api = useApi();
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const now = useNow(15_000);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      setMessages((await api.messages.list(instance.id, { limit: 20 })).data);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }, [api, instance.id]);
  useEffect(() => {
    void load();
    return () => clearTimeout(reloadTimer.current);
  }, [load]);
  useEffect(() => {
    const onSent = (event: Event) => {
      const message = (event as CustomEvent<Message>).detail;
      if (message.instance_id !== instance.id) return;
      setMessages((current) => [message, ...(current ?? []).filter((item) => item.id !== message.id)]);
    };
    window.addEventListener('whatisup:message-sent', onSent);
    return () => window.removeEventListener('whatisup:message-sent', onSent);
  }, [instance.id]);

  useEvents((event) => {
    if (event.instance_id !== instance.id || !event.type.startsWith('message.')) return;
    const data = event.data as { message_id?: string; error?: { code: string; message: string } };
    if (event.type === 'message.received') {
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(() => void load(), 800);
      return;
    }
    const status = event.type.slice('message.'.length) as Message['status'];
    setMessages(
      (current) =>
        current?.map((message) =>
          message.id === data.message_id && (STATUS_RANK[status] ?? 0) > (STATUS_RANK[message.status] ?? 0)
            ? { ...message, status, error: data.error ?? message.error, updated_at: event.created_at }
            : message,
        ) ?? current,
    );
  });

  return (
    <section className="card" aria-labelledby="messages-title">
      <div className="row spread">
        <h2 id="messages-title">Recent messages</h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <Notice tone="bad" title="Couldn't load messages">
          {error}
        </Notice>
      )}
      {!messages && !error && <Loading label="Loading messages…" />}
      {messages && messages.length === 0 && (
        <Empty title="No messages yet">
          <p>Send a test message above; it shows here with its status: queued → sent → delivered → read.</p>
        </Empty>
      )}
      {messages && messages.length > 0 && (
        <div className="table-wrap">
          <table className="table" aria-label="Recent messages, newest first">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Direction</th>
                <th scope="col">Peer</th>
                <th scope="col">Content</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {messages.map((message) => (
                <tr key={message.id} data-message-id={message.id}>
                  <td data-label="When" title={message.created_at}>
                    {timeAgo(message.created_at, now)}
                  </td>
                  <td data-label="Direction">{message.direction === 'out' ? 'Sent' : 'Received'}</td>
                  <td data-label="Peer">+{message.direction === 'out' ? message.to : message.from}</td>
                  <td data-label="Content" className="content-cell">
                    {summarize(message)}
                  </td>
                  <td data-label="Status">
                    <Pill value={message.status} />
                    {message.error && (
                      <p className="small bad-text">
                        <code>{message.error.code}</code>{' '}
                        {SEND_ERROR_TEXT[message.error.code] ?? message.error.message}
                      </p>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function summarize(message: Message): string {
  const content = message.content as { text?: string; caption?: string; url?: string; emoji?: string };
  if (message.type === 'text') return content.text ?? '';
  if (message.type === 'reaction') return `Reaction ${content.emoji ?? ''}`;
  return `[${message.type}] ${content.caption ?? content.url ?? ''}`;
}
