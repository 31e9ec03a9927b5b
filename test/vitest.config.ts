import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { name: 'system', include: ['**/*.test.ts'], exclude: ['**/node_modules/**', 'bench/**', 'load/**'] } });
