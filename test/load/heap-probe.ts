// Loaded into a service with `NODE_OPTIONS="--expose-gc --import=<this file>"` (pnpm load --heap-probe): every
// 10 s a full GC, then the heap that survived it is appended to $HEAP_PROBE_DIR/<pid>.log as
// `<s since start> <heap MB> <rss MB> <epoch ms>`. RSS alone cannot tell a leak from V8 growing its heap
// lazily; the heap after a full GC can.
// HEAP_SNAPSHOT_AT="120,420" also writes a heap snapshot at those seconds after start (<pid>-<s>.heapsnapshot),
// so two of them can be compared with test/load/heap-diff.ts to see what the growth is made of.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const gc = (globalThis as { gc?: () => void }).gc;
const dir = process.env.HEAP_PROBE_DIR;
if (gc && dir) {
  const started = Date.now();
  const snapshotsAt = new Set(
    (process.env.HEAP_SNAPSHOT_AT ?? '')
      .split(',')
      .filter(Boolean)
      .map((s) => Math.round(Number(s) / 10) * 10),
  );
  setInterval(() => {
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    const seconds = Math.round((Date.now() - started) / 1000);
    const line = `${seconds} ${(heapUsed / 1e6).toFixed(1)} ${(rss / 1e6).toFixed(1)} ${Date.now()}\n`;
    appendFileSync(join(dir, `${process.pid}.log`), line);
    const due = [...snapshotsAt].find((at) => seconds >= at);
    if (due !== undefined) {
      snapshotsAt.delete(due);
      writeHeapSnapshot(join(dir, `${process.pid}-${due}.heapsnapshot`));
    }
  }, 10_000).unref();
}
