import type { Clock } from './clock.ts';

/**
 * `period` stretched by up to `factor` of itself at random, as client-go's wait.Jitter: loops
 * started together (several managers, several sweeps) drift apart instead of hitting their
 * backend at the same moment every period.
 */
export function jittered(period: number, factor: number, random: () => number = Math.random) {
  return factor > 0 ? period + random() * factor * period : period;
}

export interface JitterUntilOptions {
  clock: Clock;
  periodMs: number;
  /** Each wait is the period stretched by up to this fraction of it. */
  jitterFactor: number;
  signal: AbortSignal;
  random?: () => number;
}

/**
 * Runs `fn`, then again after a jittered period each time it finished, until the signal
 * aborts: client-go's wait.JitterUntil with sliding=true. `fn` handles its own errors.
 */
export async function jitterUntil(
  fn: () => Promise<void>,
  opts: JitterUntilOptions,
): Promise<void> {
  while (!opts.signal.aborted) {
    await fn();
    // An aborted signal ends the sleep at once, and the loop with it.
    await opts.clock
      .sleep(jittered(opts.periodMs, opts.jitterFactor, opts.random), opts.signal)
      .catch(() => undefined);
  }
}

/**
 * A stable place for `key` within a period, in [0, period): a hash of the key (and of who is
 * asking, so two controllers with the same keys do not line up). The same key gets the same
 * offset every period, so spreading work over the period keeps every key exactly one period
 * apart from its previous turn.
 */
export function spreadOffset(salt: string, key: string, period: number): number {
  // FNV-1a, 32 bits.
  let h = 0x811c9dc5;
  const s = `${salt}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Murmur3's finalizer: FNV alone leaves similar keys (sg-1, sg-2, …) close together.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) / 2 ** 32) * period);
}
