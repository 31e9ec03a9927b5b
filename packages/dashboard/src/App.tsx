// The shell: sign-in gate, navigation, live-connection indicator and the current page.
import { createContext, useCallback, useContext, useMemo, useState } from 'react';
import { type Api, createApi, storedKey, storeKey } from './api.ts';
import { ToastProvider } from './components/ui.tsx';
import { EventProvider, useLiveState } from './events.tsx';
import { Activity } from './pages/Activity.tsx';
import { InstanceDetail } from './pages/InstanceDetail.tsx';
import { Instances } from './pages/Instances.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Webhooks } from './pages/Webhooks.tsx';
import { useRoute } from './router.ts';

const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in session');
  return api;
}

export function App() {
  const [key, setKey] = useState(storedKey);
  const [signedOutReason, setSignedOutReason] = useState<string | null>(null);
  const signOut = useCallback((reason: string | null) => {
    storeKey(null);
    setKey(null);
    setSignedOutReason(reason);
  }, []);
  const api = useMemo(
    () =>
      key
        ? createApi(key, () =>
            signOut('Your API key was refused (revoked or invalid). Sign in with a valid key.'),
          )
        : null,
    [key, signOut],
  );

  return (
    <ToastProvider>
      {key && api ? (
        <ApiContext.Provider value={api}>
          <EventProvider api={api}>
            <Shell onSignOut={() => signOut(null)} />
          </EventProvider>
        </ApiContext.Provider>
      ) : (
        <SignIn
          reason={signedOutReason}
          onSignedIn={(value) => {
            storeKey(value);
            setSignedOutReason(null);
            setKey(value);
          }}
        />
      )}
    </ToastProvider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const live = useLiveState();
  const section = route.page === 'instance' ? 'instances' : route.page;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/instances" aria-label="WhatIsUp home">
          <span className="logo" aria-hidden="true">
            ✓
          </span>
          WhatIsUp
        </a>
        <nav aria-label="Main">
          {(
            [
              ['instances', 'Instances'],
              ['webhooks', 'Webhooks'],
              ['activity', 'Activity'],
            ] as const
          ).map(([page, label]) => (
            <a key={page} href={`#/${page}`} aria-current={section === page ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span
          className={`live live-${live}`}
          title="Live updates from GET /v1/events/stream"
          data-live={live}
        >
          <span className="dot" aria-hidden="true" />
          {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
        <button type="button" className="btn btn-small btn-ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'instances' && <Instances />}
        {route.page === 'instance' && <InstanceDetail id={route.id} key={route.id} />}
        {route.page === 'webhooks' && <Webhooks />}
        {route.page === 'activity' && <Activity />}
      </main>
    </>
  );
}
