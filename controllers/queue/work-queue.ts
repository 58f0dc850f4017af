import { realClock, type Clock, type Timer } from '../clock/index.ts';
import type { QueueMetrics } from './metrics.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters.ts';

export interface WorkQueueOptions {
  /** Names the queue in metrics and logs. */
  name: string;
  clock?: Clock;
  /** Backoff for `addRateLimited`; defaults to `defaultControllerRateLimiter(clock)`. */
  rateLimiter?: RateLimiter;
  metrics?: QueueMetrics;
  /**
   * The priority of a key added without one (higher is handed out first; default 0 for
   * every key). Asked at each add, delayed ones included, so it may read the key's object.
   */
  priority?: (key: string) => number;
}

/** Below every default: work that may wait for everything else (a periodic resync). */
export const lowPriority = -100;

// As client-go's defaultUnfinishedWorkUpdatePeriod.
const unfinishedWorkUpdateMs = 500;

/** An entry of a priority level: live while its key is still waiting with this `seq`. */
interface Waiting {
  key: string;
  seq: number;
}

/** A FIFO with amortized O(1) push and shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.head++;
    if (this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * One FIFO per priority, highest first. A key raised to a higher priority gets a new entry;
 * its old one stays behind, stale, and is skipped when it surfaces (`live` says which).
 */
class PriorityFifo {
  private readonly levels = new Map<number, Fifo<Waiting>>();
  /** The priorities that have a FIFO, highest first. */
  private order: number[] = [];

  push(priority: number, entry: Waiting): void {
    let fifo = this.levels.get(priority);
    if (!fifo) {
      fifo = new Fifo();
      this.levels.set(priority, fifo);
      this.order = [...this.levels.keys()].sort((a, b) => b - a);
    }
    fifo.push(entry);
  }

  /** The first live entry of the highest priority that has one; stale entries are dropped. */
  shift(live: (entry: Waiting) => boolean): Waiting | undefined {
    for (const priority of this.order) {
      const fifo = this.levels.get(priority) as Fifo<Waiting>;
      for (let e = fifo.shift(); e; e = fifo.shift()) if (live(e)) return e;
    }
    return undefined;
  }

  clear(): void {
    this.levels.clear();
    this.order = [];
  }
}

interface Delayed {
  key: string;
  readyAt: number;
  seq: number;
}

function before(a: Delayed, b: Delayed): boolean {
  return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
}

/**
 * Keys waiting for a time, earliest first; one entry per key. Moving a key earlier pushes a
 * fresh entry and leaves the old one in the heap, skipped when it surfaces.
 */
class DelayHeap {
  private heap: Delayed[] = [];
  private readonly current = new Map<string, Delayed>();
  private seq = 0;

  /** Records `key` for `readyAt` unless it already waits for an earlier or equal time. */
  schedule(key: string, readyAt: number): void {
    const existing = this.current.get(key);
    if (existing && existing.readyAt <= readyAt) return;
    const entry = { key, readyAt, seq: this.seq++ };
    this.current.set(key, entry);
    this.push(entry);
  }

  /** The earliest live entry's time. */
  nextReadyAt(): number | undefined {
    this.dropStale();
    return this.heap[0]?.readyAt;
  }

  /** Removes and returns the keys ready at `now`, in time order. */
  takeReady(now: number): string[] {
    const ready: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.readyAt > now) return ready;
      this.pop();
      this.current.delete(top.key);
      ready.push(top.key);
    }
  }

  clear(): void {
    this.heap = [];
    this.current.clear();
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top && this.current.get(top.key) !== top; top = this.heap[0]) {
      this.pop();
    }
  }

  private push(entry: Delayed): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Delayed;
      if (!before(entry, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const child = r < h.length && before(h[r] as Delayed, h[l] as Delayed) ? r : l;
      const c = h[child] as Delayed;
      if (!before(c, last)) break;
      h[i] = c;
      i = child;
    }
    h[i] = last;
  }
}

/**
 * A rate-limited work queue with client-go's semantics (k8s.io/client-go/util/workqueue):
 *
 * - a key waits in the queue at most once however often it is added, and keys are handed out
 *   in the order they were first added — within a priority: keys of a higher priority go
 *   first, and adding a waiting key with a higher priority moves it up (as controller-runtime's
 *   priority queue; with no priorities given it is client-go's FIFO);
 * - a key handed out by `get` is not handed out again until `done`: adding it meanwhile marks
 *   it dirty and it is queued again when `done` is called, so no two workers ever hold the
 *   same key;
 * - `addAfter` and `addRateLimited` hold a key back on the Clock's timers; when a key is
 *   already held back, the earlier time wins.
 */
export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: QueueMetrics | undefined;
  private readonly priorityOf: ((key: string) => number) | undefined;

  private readonly queue = new PriorityFifo();
  /**
   * Keys that need processing — every waiting key, and processing keys added again — with
   * their priority and the `seq` of their live entry in `queue`.
   */
  private readonly dirty = new Map<string, { priority: number; seq: number }>();
  private seq = 0;
  /** Dirty keys not being processed: the ones that wait in `queue`. */
  private waiting = 0;
  private readonly processing = new Set<string>();
  private readonly getters: ((key: string | undefined) => void)[] = [];

  private readonly delayed = new DelayHeap();
  private delayTimer: { timer: Timer; at: number } | undefined;
  private unfinishedWorkTimer: Timer | undefined;

  /** Adds are refused: set by both kinds of shutdown. */
  private refusingAdds = false;
  /** Nothing more is handed out. */
  private stopped = false;
  private draining: PromiseWithResolvers<undefined> | undefined;

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = opts.metrics;
    this.priorityOf = opts.priority;
  }

  /**
   * Marks `key` as needing processing, at `priority` (default: the queue's `priority` option,
   * else 0). A key already waiting keeps the higher of its priorities.
   */
  add(key: string, priority?: number): void {
    if (this.refusingAdds) return;
    const p = priority ?? this.priorityOf?.(key) ?? 0;
    const known = this.dirty.get(key);
    if (known && known.priority >= p) return;
    if (!known) this.metrics?.add(key, this.clock.now());
    const entry = { key, seq: this.seq++ };
    this.dirty.set(key, { priority: p, seq: entry.seq });
    if (this.processing.has(key)) return;
    if (!known) this.waiting++;
    this.queue.push(p, entry);
    this.handOut();
  }

  /**
   * The next key to process; the caller must call `done(key)` when finished with it.
   * Resolves `undefined` once the queue is shut down (when draining: once nothing waits).
   */
  get(): Promise<string | undefined> {
    if (this.stopped || (this.refusingAdds && this.waiting === 0)) {
      return Promise.resolve(undefined);
    }
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const now = this.clock.now();
    this.metrics?.done(key, now);
    this.metrics?.updateUnfinishedWork(now);
    const again = this.dirty.get(key);
    if (again && !this.stopped) {
      this.waiting++;
      this.queue.push(again.priority, { key, seq: again.seq });
      this.handOut();
    }
    if (this.processing.size === 0) {
      this.unfinishedWorkTimer?.cancel();
      this.unfinishedWorkTimer = undefined;
      if (this.draining) this.stop();
    }
  }

  /** Adds `key` after `ms`; `ms <= 0` adds it now. */
  addAfter(key: string, ms: number): void {
    if (this.refusingAdds) return;
    this.metrics?.retry();
    if (ms <= 0) {
      this.add(key);
      return;
    }
    this.delayed.schedule(key, this.clock.now() + ms);
    this.armDelayTimer();
  }

  /** Adds `key` after the delay the rate limiter gives it. */
  addRateLimited(key: string): void {
    if (this.refusingAdds) return;
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the key's failure history in the rate limiter. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Keys waiting to be handed out (not the delayed or processing ones). */
  len(): number {
    return this.waiting;
  }

  /** Stops at once: waiting `get`s resolve `undefined`, waiting and delayed keys are dropped. */
  shutDown(): void {
    this.refusingAdds = true;
    this.stop();
  }

  /**
   * Refuses adds, drops delayed keys, keeps handing out keys that already wait, and resolves
   * once every key being processed is done; then the queue is shut down. `shutDown()` during
   * the wait ends it at once.
   */
  shutDownWithDrain(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) return this.draining.promise;
    this.refusingAdds = true;
    this.dropDelayed();
    this.draining = Promise.withResolvers<undefined>();
    const { promise } = this.draining;
    // Waiting getters mean nothing waits in the queue, so they are released now.
    this.releaseGetters();
    if (this.processing.size === 0) this.stop();
    return promise;
  }

  shuttingDown(): boolean {
    return this.refusingAdds;
  }

  private stop(): void {
    this.stopped = true;
    this.queue.clear();
    this.dirty.clear();
    this.waiting = 0;
    this.dropDelayed();
    this.unfinishedWorkTimer?.cancel();
    this.unfinishedWorkTimer = undefined;
    this.releaseGetters();
    this.draining?.resolve(undefined);
  }

  private releaseGetters(): void {
    for (const resolve of this.getters.splice(0)) resolve(undefined);
  }

  private dropDelayed(): void {
    this.delayed.clear();
    this.delayTimer?.timer.cancel();
    this.delayTimer = undefined;
  }

  /** Moves the head of the queue to processing. */
  private take(): string | undefined {
    const entry = this.queue.shift(
      (e) => this.dirty.get(e.key)?.seq === e.seq && !this.processing.has(e.key),
    );
    if (!entry) return undefined;
    const { key } = entry;
    this.waiting--;
    this.dirty.delete(key);
    this.processing.add(key);
    this.metrics?.get(key, this.clock.now());
    if (this.metrics && !this.unfinishedWorkTimer) this.armUnfinishedWorkTimer();
    return key;
  }

  private handOut(): void {
    while (this.getters.length > 0 && this.waiting > 0 && !this.stopped) {
      const resolve = this.getters.shift();
      resolve?.(this.take());
    }
  }

  private armDelayTimer(): void {
    const at = this.delayed.nextReadyAt();
    if (at === this.delayTimer?.at) return;
    this.delayTimer?.timer.cancel();
    this.delayTimer = undefined;
    if (at === undefined) return;
    const timer = this.clock.setTimer(() => {
      this.delayTimer = undefined;
      for (const key of this.delayed.takeReady(this.clock.now())) this.add(key);
      this.armDelayTimer();
    }, at - this.clock.now());
    this.delayTimer = { timer, at };
  }

  private armUnfinishedWorkTimer(): void {
    this.unfinishedWorkTimer = this.clock.setTimer(() => {
      this.metrics?.updateUnfinishedWork(this.clock.now());
      this.armUnfinishedWorkTimer();
    }, unfinishedWorkUpdateMs);
  }
}
