export type WebhookVerificationReason =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'invalid_signature'
  | 'invalid_secret'
  | 'invalid_json';

/** Why a webhook was refused. Answer such a request with 400 (or 401) and do not process it. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: WebhookVerificationReason;
  /** With `missing_header`: the header that was absent or empty (lower case). */
  readonly header: string | undefined;

  constructor(
    reason: WebhookVerificationReason,
    message: string,
    options: { header?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.reason = reason;
    this.header = options.header;
  }
}
