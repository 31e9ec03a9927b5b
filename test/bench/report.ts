// What the benchmark and load scripts share to print their figures.
import { loadavg } from 'node:os';

/** A number with thousands separators and fixed decimals; '–' for NaN and infinities. */
export const formatNumber = (value: number, digits: number) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';

/** The three load averages, as `uptime` prints them. */
export const loadAverage = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

export const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** libsignal (the simulated phones, in the script's process) narrates its session bookkeeping on the console. */
export function silenceLibsignalChatter(): void {
  for (const level of ['info', 'warn'] as const) {
    const write = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (
        typeof args[0] === 'string' &&
        /^(Closing|Opening|Removing old closed) (open )?session/.test(args[0])
      )
        return;
      write(...args);
    };
  }
}
