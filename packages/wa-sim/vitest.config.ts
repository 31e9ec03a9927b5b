import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'wa-sim',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // each file starts its own simulator; Baileys sockets are CPU-heavy on 2 cores, so files run one at a time
    fileParallelism: false,
    setupFiles: ['test/quiet-libsignal.ts'],
  },
});
