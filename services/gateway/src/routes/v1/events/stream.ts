import { createRoute, z } from '@hono/zod-openapi';
import type { GatewayDeps } from '../../../deps.ts';
import { ApiError } from '../../../errors.ts';
import { DateTimeQuery, errorResponses } from '../common.ts';
import type { V1App } from '../router.ts';
import { type FeedStart, openEventFeed } from './event-feed.ts';

const DEFAULT_HEARTBEAT_MS = 15_000;

const route = createRoute({
  method: 'get',
  path: '/events/stream',
  tags: ['Events'],
  summary: 'Live stream of your events (Server-Sent Events), resumable with Last-Event-ID',
  description:
    'Streams every event of your instances as it happens, in `text/event-stream` format: each message has ' +
    "`id:` (the event's position in the stream: send it back as the `Last-Event-ID` header to resume right " +
    'after it), `event:` (the event type, e.g. `qr.updated`, `message.delivered`) and `data:` (the event ' +
    'envelope, exactly the body a webhook would carry). Without `Last-Event-ID` or `since` only new events are ' +
    'sent. A comment line (`: heartbeat`) every 15 seconds keeps proxies from closing an idle connection. One ' +
    'connection counts as one request against the rate limit, however long it stays open. Browsers: use ' +
    '`fetch` with the Authorization header (EventSource cannot send it); never put the API key in a URL.',
  request: {
    headers: z.object({
      'last-event-id': z
        .string()
        .optional()
        .openapi({ description: 'The id of the last message you received: the stream resumes after it' }),
    }),
    query: z.strictObject({
      since: DateTimeQuery().optional().openapi({
        description:
          'Without Last-Event-ID: also send the events from this time on (RFC 3339), then live ones',
      }),
    }),
  },
  responses: {
    200: {
      description: 'An open stream of events (text/event-stream)',
      content: {
        'text/event-stream': {
          schema: z.string().openapi({
            example:
              'id: 42\nevent: instance.connected\ndata: {"id":"evt_…","type":"instance.connected","created_at":"…","customer_id":"cus_…","instance_id":"ins_…","data":{"status":"connected","phone":"4915123456789","push_name":"Ana","worker_id":"w1"}}\n\n',
          }),
        },
      },
    },
    ...errorResponses(400, 503),
  },
});

export function registerEventStream(app: V1App, deps: GatewayDeps): void {
  const heartbeatMs = deps.config.eventStreamHeartbeatMs ?? DEFAULT_HEARTBEAT_MS;

  app.openapi(route, async (c) => {
    const start = feedStart(c.req.header('Last-Event-ID'), c.req.valid('query').since);
    const signal = AbortSignal.any([c.req.raw.signal, ...(deps.shutdownSignal ? [deps.shutdownSignal] : [])]);
    let body: ReadableStream<Uint8Array>;
    try {
      body = await openEventFeed({
        bus: deps.bus,
        customerId: c.get('customerId'),
        start,
        heartbeatMs,
        signal,
        logger: deps.logger,
      });
    } catch (error) {
      throw new ApiError('service_unavailable', 'the event stream is unavailable right now; retry shortly', {
        retryAfterSeconds: 3,
        cause: error,
      });
    }
    return c.body(body, 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    }) as never;
  });
}

function feedStart(lastEventId: string | undefined, since: string | undefined): FeedStart {
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    const value = lastEventId.trim();
    if (!/^\d{1,15}$/.test(value)) {
      throw new ApiError(
        'validation_failed',
        'invalid request: Last-Event-ID must be the id of a stream message',
        {
          issues: [{ path: 'header.last-event-id', message: 'expected a non-negative integer' }],
        },
      );
    }
    return { afterSeq: Number(value) };
  }
  if (since) return { since: new Date(since).toISOString() };
  return 'new';
}
