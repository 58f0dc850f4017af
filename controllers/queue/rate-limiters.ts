import { realClock, type Clock } from '../clock/index.ts';

/** Decides how long a key waits before it is re-queued after a failure. */
export interface RateLimiter {
  /** Milliseconds to wait before the key's next attempt; records the attempt. */
  when(key: string): number;
  /** Clears the key's failure history (call it once the key succeeds). */
  forget(key: string): void;
  /** How many failures are on record for the key. */
  numRequeues(key: string): number;
}

/** Per key: `baseMs * 2^failures`, capped at `maxMs`, as client-go's limiter of the same name. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly failures = new Map<string, number>();

  constructor(baseMs = 5, maxMs = 1_000_000) {
    if (!(baseMs > 0) || !(maxMs >= baseMs)) {
      throw new RangeError(`exponential backoff needs 0 < base <= max, got ${baseMs}, ${maxMs}`);
    }
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    // 2 ** n reaches Infinity for large n, which the cap absorbs.
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * One token bucket shared by every key (golang.org/x/time/rate semantics, which client-go's
 * BucketRateLimiter uses): it starts full with `burst` tokens and refills at `qps`; each call
 * reserves a token and returns how long until that token exists.
 */
export class BucketRateLimiter implements RateLimiter {
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly clock: Clock;
  // The instant the bucket would be full again; tracking this instead of a fractional token
  // count keeps the arithmetic exact when 1000 / qps is a whole number of milliseconds.
  private fullAt = -Infinity;

  constructor(qps = 10, burst = 100, clock: Clock = realClock) {
    if (!(qps > 0) || !Number.isInteger(burst) || burst < 1) {
      throw new RangeError(
        `token bucket needs qps > 0 and an integer burst >= 1, got ${qps}, ${burst}`,
      );
    }
    this.intervalMs = 1000 / qps;
    this.burst = burst;
    this.clock = clock;
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.fullAt = Math.max(this.fullAt, now) + this.intervalMs;
    return Math.max(0, this.fullAt - now - this.burst * this.intervalMs);
  }

  forget(_key: string): void {
    // The bucket is shared, so no key has history of its own.
  }

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of its limiters; every limiter sees every call. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return Math.max(...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/**
 * client-go's DefaultTypedControllerRateLimiter: per-key exponential backoff from 5 ms to
 * 1000 s, and an overall 10 qps / 100 burst bucket so a mass failure cannot flood the queue.
 */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(5, 1_000_000),
    new BucketRateLimiter(10, 100, clock),
  );
}
