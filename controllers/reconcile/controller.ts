import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { realClock, spreadOffset, type Clock, type Timer } from '../clock/index.ts';
import type { Informer } from '../informer/index.ts';
import { isConflict, isNotFound, objectKey, splitKey, type KubeObject } from '../kube/index.ts';
import type { Logger } from '../logging/logger.ts';
import {
  createQueueMetricsFactory,
  lowPriority,
  WorkQueue,
  type RateLimiter,
} from '../queue/index.ts';
import { controllerMetrics, type ControllerMetrics } from './metrics.ts';

export interface Request {
  key: string;
  namespace?: string;
  name: string;
}

export interface ReconcileContext {
  log: Logger;
  reconcileID: string;
  /** Aborts when the controller stops; pass it to API calls and backend calls. */
  signal: AbortSignal;
}

/** What to do after a successful reconcile. */
export interface Result {
  /** Reconcile again after this many milliseconds (e.g. to poll a slow backend). */
  requeueAfter?: number;
}

export type Reconcile = (req: Request, ctx: ReconcileContext) => Promise<Result | undefined>;

/** Another kind whose events should reconcile some of ours (e.g. a Subnet → its NICs). */
export interface Watch {
  informer: Informer<KubeObject>;
  /**
   * The keys of our objects to reconcile when `obj` changes. On an update both the old and the
   * new object are mapped, so an object that stops naming one of ours still reaches it.
   */
  map: (obj: KubeObject) => string[];
  /**
   * Whether an update is worth mapping at all; default every update that changed the object.
   * A watch that depends only on spec and readiness of the other object skips its status
   * churn here (see specOrReadinessChanged), or one change can fan out to many reconciles.
   */
  shouldMapUpdate?: (oldObj: KubeObject, newObj: KubeObject) => boolean;
}

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  /** The kind this controller reconciles; its events enqueue the object's own key. */
  informer: Informer<T>;
  reconcile: Reconcile;
  watches?: Watch[];
  /** Reconciles of different keys that may run at once. */
  workers?: number;
  /**
   * Every object is reconciled again this often even without events, so drift in the backend
   * (a row deleted by hand) is repaired. 0 turns it off.
   */
  resyncPeriodMs?: number;
  /**
   * Whether an update of the primary object is worth a reconcile. The default skips updates
   * that change only status (ours) or nothing at all (a resync of the informer).
   */
  shouldReconcileUpdate?: (oldObj: T, newObj: T) => boolean;
  /**
   * Which waiting keys are reconciled first (higher first; default 0 for all): a key's
   * priority is asked each time it is queued. Resyncs come after every priority.
   */
  priority?: (key: string) => number;
  rateLimiter?: RateLimiter;
  registry?: Registry;
  clock?: Clock;
  log: Logger;
}

/** Spec, deletion, finalizers, labels or annotations changed: something to act on. */
/**
 * An update that changed what other objects usually depend on: generation (spec), deletion,
 * or the Ready condition's status. Status counters and messages do not count.
 */
export function specOrReadinessChanged(oldObj: KubeObject, newObj: KubeObject): boolean {
  const ready = (o: KubeObject) =>
    (
      o as { status?: { conditions?: { type: string; status: string }[] } }
    ).status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return (
    oldObj.metadata.generation !== newObj.metadata.generation ||
    oldObj.metadata.deletionTimestamp !== newObj.metadata.deletionTimestamp ||
    ready(oldObj) !== ready(newObj)
  );
}

export function specOrMetadataChanged(oldObj: KubeObject, newObj: KubeObject): boolean {
  const a = oldObj.metadata;
  const b = newObj.metadata;
  if (a.resourceVersion === b.resourceVersion) return false;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.finalizers) !== JSON.stringify(b.finalizers) ||
    JSON.stringify(a.labels) !== JSON.stringify(b.labels) ||
    JSON.stringify(a.annotations) !== JSON.stringify(b.annotations)
  );
}

/**
 * One controller: events from its informers go into a work queue as keys; workers take keys
 * and call reconcile. A key is never reconciled by two workers at once; a failed reconcile is
 * retried with per-key exponential backoff; a conflict (409) is retried without counting as an
 * error, since it only means our copy was stale.
 */
export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly opts: ControllerOptions<T>;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics;
  private readonly workers: number;
  private running = false;

  constructor(opts: ControllerOptions<T>) {
    this.opts = opts;
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    const registry = opts.registry ?? new Registry();
    this.metrics = controllerMetrics(registry);
    this.workers = opts.workers ?? 4;
    this.queue = new WorkQueue({
      name: opts.name,
      clock: this.clock,
      ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
      ...(opts.priority ? { priority: opts.priority } : {}),
      metrics: createQueueMetricsFactory(registry)(opts.name),
    });
    this.metrics.maxConcurrentReconciles.set({ controller: this.name }, this.workers);
    this.metrics.activeWorkers.set({ controller: this.name }, 0);
    for (const result of ['success', 'error', 'requeue', 'requeue_after']) {
      this.metrics.reconcileTotal.inc({ controller: this.name, result }, 0);
    }
    this.metrics.reconcileErrors.inc({ controller: this.name }, 0);
    this.wireEvents();
  }

  isRunning(): boolean {
    return this.running;
  }

  private wireEvents(): void {
    const shouldReconcile = this.opts.shouldReconcileUpdate ?? specOrMetadataChanged;
    const enqueue = (obj: KubeObject) => {
      this.queue.add(objectKey(obj));
    };
    this.opts.informer.addHandler({
      onAdd: enqueue,
      onUpdate: (oldObj, newObj) => {
        if (shouldReconcile(oldObj, newObj)) enqueue(newObj);
      },
      onDelete: enqueue,
    });
    for (const w of this.opts.watches ?? []) {
      const mapped = (obj: KubeObject) => {
        for (const key of w.map(obj)) this.queue.add(key);
      };
      w.informer.addHandler({
        onAdd: mapped,
        onUpdate: (oldObj, newObj) => {
          if (oldObj.metadata.resourceVersion === newObj.metadata.resourceVersion) return;
          if (w.shouldMapUpdate && !w.shouldMapUpdate(oldObj, newObj)) return;
          for (const key of new Set([...w.map(oldObj), ...w.map(newObj)])) this.queue.add(key);
        },
        onDelete: mapped,
      });
    }
  }

  /**
   * Waits for the informers' caches, then runs the workers until the signal aborts; on abort
   * stops taking new keys and waits for the reconciles in flight to finish.
   */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.opts.log.child({ controller: this.name });
    await Promise.all([
      this.opts.informer.waitForSync(signal),
      ...(this.opts.watches ?? []).map((w) => w.informer.waitForSync(signal)),
    ]);
    this.running = true;
    log.info('controller started', { workers: this.workers });
    const resync = this.startResync(signal);
    // On abort no new key is handed out, not even one already waiting (after a lost election
    // that would reconcile without the lease); run still waits for the reconciles in flight.
    signal.addEventListener(
      'abort',
      () => {
        this.queue.shutDown();
      },
      { once: true },
    );
    await Promise.all(Array.from({ length: this.workers }, () => this.worker(signal, log)));
    resync?.cancel();
    this.running = false;
    log.info('controller stopped');
  }

  /**
   * Every period, each cached key is enqueued at its own stable offset within the period
   * (spreadOffset), not all at once: a resync of 30,000 objects is a steady trickle instead of
   * a queue 30,000 deep that delays every real change behind it, and each object is still
   * looked at exactly once a period. Resyncs wait at low priority: under a burst of changes
   * they come after them (and a key already waiting keeps its own priority).
   */
  private startResync(signal: AbortSignal): { cancel(): void } | undefined {
    const period = this.opts.resyncPeriodMs ?? 10 * 60_000;
    if (period <= 0) return undefined;
    const cache = this.opts.informer.cache;
    let timer: Timer | undefined;
    const round = () => {
      const start = this.clock.now();
      const due = cache
        .keys()
        .map((key) => ({ at: spreadOffset(this.name, key, period), key }))
        .sort((a, b) => a.at - b.at);
      let next = 0;
      const step = () => {
        if (signal.aborted) return;
        const elapsed = this.clock.now() - start;
        for (let d = due[next]; d && d.at <= elapsed; d = due[++next]) {
          // Gone since the round started: nothing to resync.
          if (cache.get(d.key)) this.queue.add(d.key, lowPriority);
        }
        const upcoming = due[next];
        timer = upcoming
          ? this.clock.setTimer(step, upcoming.at - elapsed)
          : this.clock.setTimer(round, start + period - this.clock.now());
      };
      step();
    };
    timer = this.clock.setTimer(round, period);
    return {
      cancel: () => {
        timer?.cancel();
      },
    };
  }

  private async worker(signal: AbortSignal, log: Logger): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics.activeWorkers.inc({ controller: this.name });
      try {
        await this.process(key, signal, log);
      } finally {
        this.metrics.activeWorkers.dec({ controller: this.name });
        this.queue.done(key);
      }
    }
  }

  private async process(key: string, signal: AbortSignal, log: Logger): Promise<void> {
    const reconcileID = randomUUID();
    const { namespace, name } = splitKey(key);
    const rlog = log.child({ key, reconcileID });
    const started = this.clock.now();
    const labels = { controller: this.name };
    try {
      const result = await this.opts.reconcile(
        { key, name, ...(namespace ? { namespace } : {}) },
        { log: rlog, reconcileID, signal },
      );
      if (result?.requeueAfter !== undefined && result.requeueAfter > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, result.requeueAfter);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else {
        this.queue.forget(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      if (signal.aborted) return;
      if (isNotFound(err) && !this.opts.informer.cache.get(key)) {
        // The object was deleted while we reconciled it: nothing is left to do.
        rlog.debug('object gone during reconcile');
        this.queue.forget(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      } else if (isConflict(err)) {
        rlog.debug('conflict, retrying with a fresh copy', { error: (err as Error).message });
        this.queue.addRateLimited(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        rlog.error('reconcile failed', {
          error: err instanceof Error ? err.message : String(err),
          retries: this.queue.numRequeues(key),
        });
        this.queue.addRateLimited(key);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'error' });
        this.metrics.reconcileErrors.inc(labels);
      }
    } finally {
      this.metrics.reconcileTime.observe(labels, (this.clock.now() - started) / 1000);
    }
  }
}
