import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'ssrf-guard', include: ['test/**/*.test.ts'] },
});
