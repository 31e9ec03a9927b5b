// One request function for every client method: auth, JSON in and out, errors as WhatIsUpApiError.
import { WhatIsUpApiError } from './api-error.ts';

export interface ClientOptions {
  /** Where the API lives, e.g. https://api.whatisup.example (with or without a trailing slash). */
  baseUrl: string;
  /** A `wiu_…` API key. */
  apiKey: string;
  /** A fetch to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: typeof globalThis.fetch;
}

export interface RequestOptions {
  /** Sent as X-Correlation-Id, so the request is easy to find in our logs and in webhook deliveries. */
  correlationId?: string;
  signal?: AbortSignal;
}

type Query = Record<string, string | number | undefined>;

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** An OpenAPI path template, e.g. /v1/instances/{id}. */
  path: string;
  params?: Record<string, string>;
  query?: Query | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  options?: RequestOptions | undefined;
}

export type Http = {
  /** The response itself (for streams), once it is known to be a 2xx. */
  response(request: HttpRequest, accept: string): Promise<Response>;
  json<T>(request: HttpRequest): Promise<T>;
  empty(request: HttpRequest): Promise<void>;
  bytes(request: HttpRequest): Promise<Uint8Array>;
};

export function createHttp(options: ClientOptions): Http {
  if (!options.baseUrl) throw new TypeError('baseUrl is required');
  if (!options.apiKey) throw new TypeError('apiKey is required');
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;

  async function send(request: HttpRequest, accept: string): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${options.apiKey}`,
      Accept: accept,
      ...request.headers,
    };
    if (request.options?.correlationId) headers['X-Correlation-Id'] = request.options.correlationId;
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const response = await fetchImpl(
      `${base}${fillPath(request.path, request.params)}${queryString(request.query)}`,
      {
        method: request.method,
        headers,
        body,
        signal: request.options?.signal,
      },
    );
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  return {
    response: send,
    async json<T>(request: HttpRequest) {
      return (await (await send(request, 'application/json')).json()) as T;
    },
    async empty(request: HttpRequest) {
      await (await send(request, 'application/json')).body?.cancel();
    },
    async bytes(request: HttpRequest) {
      return new Uint8Array(await (await send(request, 'image/png')).arrayBuffer());
    },
  };
}

function fillPath(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (!value) throw new TypeError(`${name} is required`);
    return encodeURIComponent(value);
  });
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function toApiError(response: Response): Promise<WhatIsUpApiError> {
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = parsed as
    | {
        error?: { code?: unknown; message?: unknown; issues?: unknown; instance_status?: unknown };
        correlation_id?: unknown;
      }
    | undefined;
  const error = body && typeof body.error === 'object' && body.error !== null ? body.error : undefined;
  const correlationId =
    typeof body?.correlation_id === 'string' ? body.correlation_id : response.headers.get('X-Correlation-Id');
  return new WhatIsUpApiError({
    status: response.status,
    code: typeof error?.code === 'string' ? error.code : 'http_error',
    message:
      typeof error?.message === 'string'
        ? error.message
        : `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
    correlationId,
    retryAfter: retryAfterSeconds(response.headers.get('Retry-After')),
    issues: Array.isArray(error?.issues) ? (error.issues as { path: string; message: string }[]) : undefined,
    instanceStatus: typeof error?.instance_status === 'string' ? error.instance_status : undefined,
  });
}

/** Retry-After is delay-seconds or an HTTP date. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
