/** Any non-2xx answer from the API, with the body's error code and the request's correlation id. */
export class WhatIsUpApiError extends Error {
  override readonly name = 'WhatIsUpApiError';
  readonly status: number;
  /** The API's error code (validation_failed, not_found, rate_limited, …), or `http_error` when the answer was not the API's error body (a proxy in between, say). */
  readonly code: string;
  /** Quote it when you ask us for help: it finds the request in our logs. */
  readonly correlationId: string | null;
  /** Seconds to wait before retrying, from Retry-After (429 and 503). */
  readonly retryAfter: number | undefined;
  /** With validation_failed: which fields were refused and why. */
  readonly issues: { path: string; message: string }[] | undefined;
  /** On errors about an instance that cannot do this now: its status. */
  readonly instanceStatus: string | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    correlationId: string | null;
    retryAfter?: number;
    issues?: { path: string; message: string }[];
    instanceStatus?: string;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.correlationId = init.correlationId;
    this.retryAfter = init.retryAfter;
    this.issues = init.issues;
    this.instanceStatus = init.instanceStatus;
  }
}
