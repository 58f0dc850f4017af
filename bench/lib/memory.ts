import type { Clock, Timer } from '../../controllers/clock/index.ts';

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  /** Whether a full garbage collection ran first (node --expose-gc). */
  collected: boolean;
}

/**
 * The process's resident memory and live heap, after a full garbage collection when node runs
 * with --expose-gc; without it the figures include garbage not yet collected.
 */
export function sampleMemory(
  gc: (() => void) | undefined = globalThis.gc,
  usage: () => { rss: number; heapUsed: number } = () => process.memoryUsage(),
): MemorySample {
  if (gc) {
    // A second pass collects what the first one's finalizers released.
    gc();
    gc();
  }
  const u = usage();
  return { rssBytes: u.rss, heapUsedBytes: u.heapUsed, collected: gc !== undefined };
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/** The highest resident memory seen while it runs, read every `intervalMs`. */
export class PeakRss {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly read: () => number;
  private timer: Timer | undefined;
  private peak = 0;

  constructor(opts: { clock: Clock; intervalMs?: number; read?: () => number }) {
    this.clock = opts.clock;
    this.intervalMs = opts.intervalMs ?? 250;
    this.read = opts.read ?? (() => process.memoryUsage.rss());
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.peak = Math.max(this.peak, this.read());
      this.timer = this.clock.setTimer(tick, this.intervalMs);
    };
    tick();
  }

  /** Stops sampling; returns the peak, including one last reading now. */
  stop(): number {
    this.timer?.cancel();
    this.timer = undefined;
    this.peak = Math.max(this.peak, this.read());
    return this.peak;
  }
}
