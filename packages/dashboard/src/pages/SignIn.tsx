import { useState } from 'react';
import { checkKey } from '../api.ts';
import { Notice } from '../components/ui.tsx';

export function SignIn({ reason, onSignedIn }: { reason: string | null; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <div className="brand big">
          <span className="logo" aria-hidden="true">
            ✓
          </span>
          WhatIsUp
        </div>
        <h1>Sign in to your dashboard</h1>
        <p className="muted">
          Link WhatsApp numbers, send test messages, debug webhooks and read your activity log.
        </p>
        {reason && (
          <Notice tone="warn" title="You were signed out">
            {reason}
          </Notice>
        )}
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            const value = key.trim();
            if (!/^wiu_\S+$/.test(value)) {
              setError('An API key starts with wiu_ (for example wiu_AbC…). Paste the whole key.');
              return;
            }
            setBusy(true);
            const problem = await checkKey(value);
            setBusy(false);
            setError(problem);
            if (!problem) onSignedIn(value);
          }}
        >
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="wiu_…"
            value={key}
            onChange={(event) => setKey(event.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby="api-key-help"
            required
          />
          <p id="api-key-help" className="hint">
            Kept in this browser tab only (session storage) and sent in the Authorization header, never in a
            URL. No key yet? An operator creates one with{' '}
            <code>pnpm admin customer:create --name "Acme"</code>.
          </p>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
