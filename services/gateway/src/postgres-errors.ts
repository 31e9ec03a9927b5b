// Recognises Postgres errors by their codes, wherever they sit in the cause chain (drizzle wraps the driver's).

/** Every string `code` along the error's cause chain, outermost first. */
function* errorCodes(error: unknown): Generator<string> {
  for (
    let current = error;
    current && typeof current === 'object';
    current = (current as { cause?: unknown }).cause
  ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') yield code;
  }
}

export function isUniqueViolation(error: unknown): boolean {
  for (const code of errorCodes(error)) if (/^[0-9A-Z]{5}$/.test(code)) return code === '23505';
  return false;
}

const CONNECTION_CODES = new Set([
  // postgres.js
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // the socket
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // Postgres: admin/crash shutdown, cannot connect now, too many connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** A query error that says the database cannot be reached (not that the query was wrong). */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (const code of errorCodes(error)) if (CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  return false;
}
