// GET /v1/events/stream as an async iterable: Server-Sent Events read with fetch (so the API key stays in the
// Authorization header, which EventSource cannot send), resumed after a drop with Last-Event-ID.
import type { EventEnvelope } from '../events.ts';
import { WhatIsUpApiError } from './api-error.ts';
import type { Http } from './http.ts';

export interface EventStreamOptions {
  /** Resume after this event id (the `id` of a StreamedEvent you already handled). */
  lastEventId?: string;
  /** Without lastEventId: also replay the events since this time (RFC 3339); otherwise only new events. */
  since?: string;
  /** Reconnect after a drop or a 5xx/429, resuming after the last event seen (default true). */
  reconnect?: boolean;
  /** Ends the stream (the loop over it finishes). */
  signal?: AbortSignal;
  /** Called each time a connection is established. */
  onOpen?: () => void;
  /** Called when a connection drops and the client will reconnect in `retryInMs`. */
  onDrop?: (error: unknown, retryInMs: number) => void;
}

export interface StreamedEvent {
  /** The event's position in the stream: pass it as lastEventId to resume after it. */
  id: string;
  event: EventEnvelope;
}

const MAX_BACKOFF_MS = 30_000;

export async function* streamEvents(
  http: Http,
  options: EventStreamOptions = {},
): AsyncGenerator<StreamedEvent> {
  const { signal } = options;
  let lastEventId = options.lastEventId;
  let retryMs = 3_000;
  let failures = 0;
  while (!signal?.aborted) {
    let dropped: unknown;
    try {
      const response = await http.response(
        {
          method: 'GET',
          path: '/v1/events/stream',
          query: lastEventId ? undefined : { since: options.since },
          headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {},
          options: { signal },
        },
        'text/event-stream',
      );
      options.onOpen?.();
      failures = 0;
      for await (const message of sseMessages(response.body)) {
        if (message.retry !== undefined) retryMs = message.retry;
        if (message.data === undefined) continue;
        if (message.id) lastEventId = message.id;
        yield { id: message.id ?? '', event: JSON.parse(message.data) as EventEnvelope };
      }
      if (signal?.aborted) return;
      dropped = new Error('the event stream ended');
    } catch (error) {
      if (signal?.aborted) return;
      const retriable = !(error instanceof WhatIsUpApiError) || error.status >= 500 || error.status === 429;
      if (!retriable || options.reconnect === false) throw error;
      dropped = error;
    }
    if (options.reconnect === false) return;
    failures += 1;
    const apiDelay =
      dropped instanceof WhatIsUpApiError && dropped.retryAfter ? dropped.retryAfter * 1000 : 0;
    const delay = Math.max(
      apiDelay,
      Math.min(MAX_BACKOFF_MS, retryMs * 2 ** Math.min(failures - 1, 4)) * (0.75 + Math.random() / 2),
    );
    options.onDrop?.(dropped, delay);
    await sleep(delay, signal);
  }
}

interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
}

/** Parses a text/event-stream body into messages (per the HTML spec: comments skipped, data lines joined). */
async function* sseMessages(body: ReadableStream<Uint8Array> | null): AsyncGenerator<SseMessage> {
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let message: SseMessage = {};
  let data: string[] = [];
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        newline = buffer.search(/\r\n|\r|\n/);
        if (line === '') {
          if (data.length) message.data = data.join('\n');
          if (message.data !== undefined || message.retry !== undefined) yield message;
          message = {};
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(text);
        else if (field === 'id') message.id = text;
        else if (field === 'event') message.event = text;
        else if (field === 'retry' && /^\d+$/.test(text)) message.retry = Number(text);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
