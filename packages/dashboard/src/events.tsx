// Live updates: one fetch-streamed connection to GET /v1/events/stream (fetch, not EventSource, so the key
// travels in the Authorization header), parsed as Server-Sent Events, resumed with Last-Event-ID after a drop.
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

export type LiveState = 'connecting' | 'live' | 'reconnecting';
type Listener = (event: EventEnvelope) => void;

interface EventHub {
  state: LiveState;
  subscribe(listener: Listener): () => void;
}

const EventContext = createContext<EventHub>({ state: 'connecting', subscribe: () => () => {} });

export function EventProvider({ apiKey, children }: { apiKey: string; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    const controller = new AbortController();
    let lastEventId: string | null = null;
    let attempt = 0;

    async function run(): Promise<void> {
      while (!controller.signal.aborted) {
        try {
          const headers: Record<string, string> = {
            Authorization: `Bearer ${apiKey}`,
            Accept: 'text/event-stream',
          };
          if (lastEventId) headers['Last-Event-ID'] = lastEventId;
          const response = await fetch('/v1/events/stream', {
            headers,
            signal: controller.signal,
            cache: 'no-store',
          });
          if (response.status === 401) return;
          if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
          setState('live');
          attempt = 0;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          while (true) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value.replace(/\r\n?/g, '\n');
            let end = buffer.indexOf('\n\n');
            while (end >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf('\n\n');
              let id: string | null = null;
              let data = '';
              for (const line of block.split('\n')) {
                if (line.startsWith('id:')) id = line.slice(3).trim();
                else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
              }
              if (!data) continue;
              if (id) lastEventId = id;
              const event = JSON.parse(data) as EventEnvelope;
              for (const listener of listeners.current) listener(event);
            }
          }
        } catch {
          // dropped or refused: reconnect below, resuming after the last event seen
        }
        if (controller.signal.aborted) return;
        setState('reconnecting');
        attempt += 1;
        const delay = Math.min(15_000, 1_000 * 2 ** Math.min(attempt - 1, 4)) * (0.75 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    void run();
    return () => controller.abort();
  }, [apiKey]);

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
