// Turns zod failures into 400 validation_failed with field paths.
import type { ZodError } from 'zod';
import { ApiError, type FieldIssue } from './errors.ts';

export function issuesOf(error: ZodError, target?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
    return { path: [target, path].filter(Boolean).join('.') || '(root)', message };
  });
}

export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
): void {
  if (!result.success) {
    const target = result.target === 'json' ? 'body' : result.target;
    const issues = issuesOf(result.error, target);
    throw new ApiError(
      'validation_failed',
      `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      {
        issues,
      },
    );
  }
}
