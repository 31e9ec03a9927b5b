// One HTTP attempt of a webhook: POST the signed body through the guarded agent, classify what happened.
import { createGuardedConnector, type Resolver } from '@whatisup/ssrf-guard';
import { Agent, errors, request } from 'undici';

export interface SenderOptions {
  allowPrivateTargets: boolean;
  connectTimeoutMs: number;
  /** Both the wait for response headers and the longest gap while reading the body. */
  responseTimeoutMs: number;
  /** Tests only: the DNS resolver behind the guarded lookup. */
  resolve?: Resolver | undefined;
}

/** One keep-alive agent per process; every connection goes through the SSRF guard (after DNS, every time). */
export function createDeliveryAgent(options: SenderOptions): Agent {
  return new Agent({
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: options.responseTimeoutMs,
    bodyTimeout: options.responseTimeoutMs,
    connections: null,
    connect: createGuardedConnector({
      allowPrivate: options.allowPrivateTargets,
      ...(options.resolve ? { resolve: options.resolve } : {}),
      connect: { timeout: options.connectTimeoutMs },
    }),
  });
}

export interface AttemptResult {
  ok: boolean;
  status: number | null;
  /** null on success. */
  errorClass: string | null;
  errorMessage: string | null;
  /** First 1 KB of the response body (text). */
  body: string | null;
  retryAfter: string | undefined;
  durationMs: number;
}

const BODY_KEEP_BYTES = 1024;
/** More than this is not read: the connection is dropped instead of draining a huge body. */
const BODY_DRAIN_LIMIT = 256 * 1024;

export async function postWebhook(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await request(url, { method: 'POST', headers, body, dispatcher: agent });
    const text = await readHead(response.body);
    const status = response.statusCode;
    const retryAfter = response.headers['retry-after'];
    const ok = status >= 200 && status < 300;
    return {
      ok,
      status,
      errorClass: ok ? null : 'http_status',
      errorMessage: ok ? null : describeStatus(status, response.headers.location),
      body: text,
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      durationMs: elapsed(),
    };
  } catch (error) {
    const { errorClass, message } = classifyError(error);
    return {
      ok: false,
      status: null,
      errorClass,
      errorMessage: message,
      body: null,
      retryAfter: undefined,
      durationMs: elapsed(),
    };
  }
}

/** Keeps the first 1 KB and drains the rest, so the connection goes back to the pool. */
async function readHead(body: AsyncIterable<Buffer> & { dump(opts?: { limit: number }): Promise<void> }) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (kept < BODY_KEEP_BYTES) {
      chunks.push(chunk.subarray(0, BODY_KEEP_BYTES - kept));
      kept += Math.min(chunk.length, BODY_KEEP_BYTES - kept);
    }
    if (total > BODY_DRAIN_LIMIT) break;
  }
  if (total > BODY_DRAIN_LIMIT) await body.dump({ limit: 0 }).catch(() => {});
  return kept === 0 ? null : Buffer.concat(chunks).toString('utf8');
}

function describeStatus(status: number, location: string | string[] | undefined): string {
  if (status >= 300 && status < 400) {
    const to = Array.isArray(location) ? location[0] : location;
    return `HTTP ${status}: redirects are not followed${to ? ` (Location: ${to.slice(0, 200)})` : ''}`;
  }
  return `HTTP ${status}: the endpoint must answer 2xx`;
}

export function classifyError(error: unknown): { errorClass: string; message: string } {
  const err = error as NodeJS.ErrnoException & { cause?: unknown };
  const cause = (err?.cause ?? err) as NodeJS.ErrnoException;
  const code = err?.code ?? cause?.code;
  if (err instanceof errors.HeadersTimeoutError)
    return { errorClass: 'timeout', message: 'timed out waiting for the response headers' };
  if (err instanceof errors.BodyTimeoutError)
    return { errorClass: 'timeout', message: 'timed out reading the response body' };
  if (err instanceof errors.ConnectTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT')
    return { errorClass: 'timeout', message: 'timed out connecting' };
  if (code === 'ERR_SSRF_BLOCKED' || cause?.code === 'ERR_SSRF_BLOCKED')
    return {
      errorClass: 'ssrf_blocked',
      message: (cause?.code === 'ERR_SSRF_BLOCKED' ? cause : err).message,
    };
  if (code === 'ECONNREFUSED') return { errorClass: 'connection_refused', message: 'connection refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { errorClass: 'dns', message: `could not resolve the host (${code})` };
  if (
    typeof code === 'string' &&
    (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))
  )
    return { errorClass: 'tls', message: `TLS error: ${err.message}` };
  if (
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH'
  )
    return { errorClass: 'connection_error', message: `connection error (${code}): ${err.message}` };
  return { errorClass: 'internal', message: err?.message ?? String(error) };
}
