import { defineConfig } from 'vitest/config';

/** libsignal narrates session bookkeeping on the console; it says nothing a test needs. */
const LIBSIGNAL_CHATTER =
  /^(Closing session|Opening session|Removing old closed session|Closing open session|Session already)/;

export default defineConfig({
  test: {
    name: 'wa-sim',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // each file starts its own simulator; Baileys sockets are CPU-heavy on 2 cores, so files run one at a time
    fileParallelism: false,
    onConsoleLog: (log) => !LIBSIGNAL_CHATTER.test(log),
  },
});
