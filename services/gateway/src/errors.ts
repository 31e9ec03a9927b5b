// The API's one error type. The code decides the HTTP status; the body shape is design.md's.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const ERROR_STATUS = {
  validation_failed: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  instance_not_connected: 409,
  instance_already_linked: 409,
  qr_unavailable: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  instance_throttled: 429,
  internal_error: 500,
  worker_error: 502,
  service_unavailable: 503,
  database_unavailable: 503,
  instance_unavailable: 503,
  no_capacity: 503,
  command_timeout: 504,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: { issues?: FieldIssue[]; instance_status?: string } | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** Extra response headers, e.g. the RateLimit headers on a 429. */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      issues?: FieldIssue[];
      /** The instance's state, on errors about an instance that cannot do what was asked right now. */
      instanceStatus?: string;
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details =
      options.issues || options.instanceStatus
        ? {
            ...(options.issues ? { issues: options.issues } : {}),
            ...(options.instanceStatus ? { instance_status: options.instanceStatus } : {}),
          }
        : undefined;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers ?? {};
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export function notFound(what: string): ApiError {
  return new ApiError('not_found', `${what} not found`);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: FieldIssue[]; instance_status?: string };
  correlation_id: string;
}

export function errorBody(error: ApiError, correlationId: string): ErrorBody {
  return {
    error: { code: error.code, message: error.message, ...error.details },
    correlation_id: correlationId,
  };
}
