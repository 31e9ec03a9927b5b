// Recognises Postgres errors the API turns into client errors.
export function isUniqueViolation(error: unknown): boolean {
  return pgCode(error) === '23505';
}

function pgCode(error: unknown): string | undefined {
  for (
    let current = error;
    current && typeof current === 'object';
    current = (current as { cause?: unknown }).cause
  ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
