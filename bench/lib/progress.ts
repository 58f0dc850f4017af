import type { Clock } from '../../controllers/clock/index.ts';
import { perSecond } from './stats.ts';

export interface Progress {
  /** Counts `n` more done; prints at most once per interval. */
  tick(n?: number): void;
  /** Prints the final count and rate; returns the elapsed milliseconds. */
  finish(): number;
}

/** Thousands separated with commas, so 30000 reads as 30,000. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A progress line for a long loop (`created 12,000/30,000 (410/s)`), printed at most once per
 * `everyMs`, so a run that takes minutes shows it is alive without flooding the terminal.
 */
export function progress(
  label: string,
  total: number,
  opts: { clock: Clock; print: (line: string) => void; everyMs?: number },
): Progress {
  const { clock, print } = opts;
  const everyMs = opts.everyMs ?? 5_000;
  const started = clock.now();
  let lastPrint = started;
  let done = 0;
  const line = (now: number) =>
    `${label}: ${formatCount(done)}/${formatCount(total)} (${formatCount(perSecond(done, now - started))}/s)`;
  return {
    tick(n = 1) {
      done += n;
      const now = clock.now();
      if (now - lastPrint >= everyMs) {
        lastPrint = now;
        print(line(now));
      }
    },
    finish() {
      const now = clock.now();
      print(`${line(now)} in ${((now - started) / 1000).toFixed(1)} s`);
      return now - started;
    },
  };
}
