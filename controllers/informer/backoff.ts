/**
 * Exponential backoff with jitter for reconnecting: 800 ms doubling to 30 s, as client-go's
 * reflector does, reset once a connection has stayed healthy for a while.
 */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(initialMs = 800, maxMs = 30_000, random: () => number = Math.random) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.random = random;
  }

  /** The next delay: base * 2^attempt, capped, with up to +50% jitter so clients spread out. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.min(this.maxMs, base * (1 + 0.5 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
