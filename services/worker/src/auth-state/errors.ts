/**
 * An auth-state that exists on disk but cannot be read or parsed (wrong owner or mode, corruption, a missing
 * record). The worker reports it as `auth_state_unreadable`; it must never fall back to a fresh pairing.
 */
export class AuthStateUnreadableError extends Error {
  override readonly name = 'AuthStateUnreadableError';
  /** The file or directory that could not be read. */
  readonly path: string;
  /** The OS error code (EACCES, EPERM, EISDIR, …), or `corrupt` / `missing_creds` / `missing_keys`. */
  readonly code: string;
  /** The OS error message when there was one. */
  readonly osError: string | undefined;

  constructor(path: string, code: string, detail: string, cause?: unknown) {
    super(
      `auth-state unreadable at ${path}: ${code}: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
    this.path = path;
    this.code = code;
    this.osError = isErrnoError(cause) ? cause.message : undefined;
  }

  static fromOsError(path: string, error: unknown): AuthStateUnreadableError {
    if (error instanceof AuthStateUnreadableError) return error;
    const code = isErrnoError(error) && error.code ? error.code : 'EIO';
    const detail = error instanceof Error ? error.message : String(error);
    return new AuthStateUnreadableError(path, code, detail, error);
  }
}

export function isErrnoError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

export function isNotFound(error: unknown): boolean {
  return isErrnoError(error) && error.code === 'ENOENT';
}
