// Waiting for a value of one key to reach a state, driven by the events that deliver values
// (informer updates, OVSDB row changes) rather than by polling, so the moment is the event's.
import type { Clock } from '../../controllers/clock/index.ts';

interface Waiter<T> {
  test: (value: T) => boolean;
  resolve: (value: T) => void;
}

export interface WaitOptions<T> {
  clock: Clock;
  timeoutMs: number;
  /** Names what was awaited in the timeout's message. */
  what: string;
  /** The value known now, if any: it is checked before waiting for the next. */
  current?: T | undefined;
}

export class KeyedWaiters<T> {
  private readonly waiting = new Map<string, Set<Waiter<T>>>();

  /** Resolves with the first value of `key` (the current one included) that passes `test`. */
  wait(key: string, test: (value: T) => boolean, opts: WaitOptions<T>): Promise<T> {
    if (opts.current !== undefined && test(opts.current)) return Promise.resolve(opts.current);
    return new Promise<T>((resolve, reject) => {
      let set = this.waiting.get(key);
      if (!set) {
        set = new Set();
        this.waiting.set(key, set);
      }
      const waiters = set;
      const timer = opts.clock.setTimer(() => {
        this.remove(key, waiters, waiter);
        reject(new Error(`timed out after ${opts.timeoutMs / 1000} s waiting for ${opts.what}`));
      }, opts.timeoutMs);
      const waiter: Waiter<T> = {
        test,
        resolve: (value) => {
          timer.cancel();
          resolve(value);
        },
      };
      waiters.add(waiter);
    });
  }

  /** A new value of `key`: resolves (and forgets) every waiter it satisfies. */
  offer(key: string, value: T): void {
    const set = this.waiting.get(key);
    if (!set) return;
    for (const waiter of [...set]) {
      if (!waiter.test(value)) continue;
      this.remove(key, set, waiter);
      waiter.resolve(value);
    }
  }

  /** Keys someone waits on. */
  get size(): number {
    return this.waiting.size;
  }

  private remove(key: string, set: Set<Waiter<T>>, waiter: Waiter<T>): void {
    set.delete(waiter);
    if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
  }
}
