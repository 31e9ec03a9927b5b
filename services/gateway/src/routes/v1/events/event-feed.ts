// A customer's events from the bus's event log as Server-Sent Events: one feed per connection, filtered to
// that customer by the bus, so nothing of another customer is ever read.
import type { Bus, FeedStart } from '@whatisup/bus';
import type { Logger } from 'pino';

export type { FeedStart };

export interface EventFeedOptions {
  bus: Bus;
  customerId: string;
  start: FeedStart;
  heartbeatMs: number;
  /** Aborted when the client goes away or the gateway shuts down. */
  signal: AbortSignal;
  logger: Logger;
}

/** Events a slow client may have queued before the stream is closed (it resumes with Last-Event-ID). */
const MAX_BUFFERED_EVENTS = 1_000;
const encoder = new TextEncoder();

/** Opens the feed (so a bus failure is an HTTP error, not a broken stream) and returns the SSE body. */
export async function openEventFeed(options: EventFeedOptions): Promise<ReadableStream<Uint8Array>> {
  const { customerId } = options;
  // The id becomes a subject token: a wildcard or separator in it would widen the filter to others' events.
  if (!/^[A-Za-z0-9_-]+$/.test(customerId))
    throw new Error(`customer id not usable in a subject: ${customerId}`);
  const feed = await options.bus.openFeed(customerId, options.start);

  let heartbeat: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let closed = false;
  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    if (onAbort) options.signal.removeEventListener('abort', onAbort);
    void feed.close().catch(() => {});
  };

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const send = (text: string) => {
          if (closed) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            stop();
          }
        };
        const end = () => {
          if (closed) return;
          stop();
          try {
            controller.close();
          } catch {
            // already closed by a cancel
          }
        };
        if (options.signal.aborted) return end();
        onAbort = end;
        options.signal.addEventListener('abort', end, { once: true });
        // retry: how long EventSource-style clients wait before reconnecting; the comment flushes the headers.
        send('retry: 3000\n: connected\n\n');
        heartbeat = setInterval(() => send(': heartbeat\n\n'), options.heartbeatMs);
        void (async () => {
          try {
            for await (const { seq, event } of feed) {
              // The feed's filter already guarantees it; a mislabelled event is dropped, never shown.
              if (event.customer_id !== customerId) continue;
              send(`id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
              if ((controller.desiredSize ?? 0) < -MAX_BUFFERED_EVENTS) {
                options.logger.warn({ customer_id: customerId }, 'event stream client too slow, closing');
                break;
              }
            }
          } catch (error) {
            if (!closed)
              options.logger.warn({ err: (error as Error).message }, 'event stream consumer failed');
          }
          end();
        })();
      },
      cancel() {
        stop();
      },
    },
    { highWaterMark: 1 },
  );
}
