// Loaded into a service with `NODE_OPTIONS="--expose-gc --import=<this file>"` (pnpm load --heap-probe): every
// 10 s a full GC, then the heap that survived it is appended to $HEAP_PROBE_DIR/<pid>.log. RSS alone cannot
// tell a leak from V8 growing its heap lazily; the heap after a full GC can.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const gc = (globalThis as { gc?: () => void }).gc;
const dir = process.env.HEAP_PROBE_DIR;
if (gc && dir) {
  const started = Date.now();
  setInterval(() => {
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    const line = `${Math.round((Date.now() - started) / 1000)} ${(heapUsed / 1e6).toFixed(1)} ${(rss / 1e6).toFixed(1)}\n`;
    appendFileSync(join(dir, `${process.pid}.log`), line);
  }, 10_000).unref();
}
