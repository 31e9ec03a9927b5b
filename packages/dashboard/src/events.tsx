// Live updates: one connection to GET /v1/events/stream through the SDK's events.stream() (fetch, not
// EventSource, so the key travels in the Authorization header; resumed with Last-Event-ID after a drop),
// fanned out to the components that subscribe.
import type { EventEnvelope } from '@whatisup/sdk';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { Api } from './api.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting';
type Listener = (event: EventEnvelope) => void;

interface EventHub {
  state: LiveState;
  subscribe(listener: Listener): () => void;
}

const EventContext = createContext<EventHub>({ state: 'connecting', subscribe: () => () => {} });

export function EventProvider({ api, children }: { api: Api; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const { event } of api.events.stream({
          signal: controller.signal,
          onOpen: () => setState('live'),
          onDrop: () => setState('reconnecting'),
        })) {
          for (const listener of listeners.current) listener(event);
        }
      } catch {
        // a refused key: the API client has already signed the user out
      }
    })();
    return () => controller.abort();
  }, [api]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const hub = useMemo(() => ({ state, subscribe }), [state, subscribe]);
  return <EventContext.Provider value={hub}>{children}</EventContext.Provider>;
}

/** Calls `onEvent` for every live event (the latest callback, without resubscribing on each render). */
export function useEvents(onEvent: Listener): void {
  const hub = useContext(EventContext);
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => hub.subscribe((event) => latest.current(event)), [hub.subscribe]);
}

export function useLiveState(): LiveState {
  return useContext(EventContext).state;
}
