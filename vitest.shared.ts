// Settings every vitest project shares (project configs do not inherit the root config's test options).
import { defineConfig } from 'vitest/config';

export function projectConfig(name: string, test: Record<string, unknown> = {}) {
  return defineConfig({
    test: {
      name,
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // libsignal (inside Baileys) logs every session it opens or closes: keep console output for failures.
      silent: 'passed-only',
      ...test,
    },
  });
}
