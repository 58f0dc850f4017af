// A Manager hosting the Counter controller, instrumented from the outside: when each key was
// first seen by the informer (enqueued), when its current generation was first reconciled
// (done), and how many reconciles ran.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../controllers/clock/index.ts';
import type { Informer } from '../../controllers/informer/index.ts';
import { objectKey, type Verb } from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { Manager } from '../../controllers/manager/index.ts';
import { until } from '../lib/until.ts';
import { addCounterController, isConverged, type CounterObject } from './bench-kind.ts';

export interface CounterManagerOptions {
  kubeconfig: KubeConfig;
  namespace: string;
  workers: number;
  resyncPeriodMs: number;
  clock: Clock;
  log: Logger;
}

export type RequestCounts = Record<Verb, number>;

export function countsSince(now: RequestCounts, before: RequestCounts): RequestCounts {
  return {
    GET: now.GET - before.GET,
    POST: now.POST - before.POST,
    PUT: now.PUT - before.PUT,
    PATCH: now.PATCH - before.PATCH,
    DELETE: now.DELETE - before.DELETE,
  };
}

export function writes(counts: RequestCounts): number {
  return counts.POST + counts.PUT + counts.PATCH + counts.DELETE;
}

export class CounterManager {
  readonly manager: Manager;
  readonly informer: Informer<CounterObject>;
  /** When the informer first delivered each key: the moment it entered the work queue. */
  readonly enqueuedAt = new Map<string, number>();
  /**
   * When each key was first reconciled successfully. The benchmark never changes a spec, so
   * that reconcile observed the object's one generation.
   */
  readonly doneAt = new Map<string, number>();
  /** How long the reconcile that got each key done took (its status write, mostly). */
  readonly reconcileMs = new Map<string, number>();
  reconciles = 0;
  readonly startedAt: number;
  private readonly clock: Clock;
  private readonly stopper = new AbortController();
  private readonly running: Promise<unknown>;
  private failure: unknown;

  private constructor(opts: CounterManagerOptions) {
    this.clock = opts.clock;
    this.manager = new Manager({
      kubeconfig: opts.kubeconfig,
      log: opts.log,
      identity: 'kcloud-bench',
      clock: opts.clock,
    });
    const { informer } = addCounterController(this.manager, {
      namespace: opts.namespace,
      workers: opts.workers,
      resyncPeriodMs: opts.resyncPeriodMs,
      clock: opts.clock,
      onReconciled: (key, _obj, startedAt) => {
        this.reconciles++;
        if (this.doneAt.has(key)) return;
        const now = this.clock.now();
        this.doneAt.set(key, now);
        this.reconcileMs.set(key, now - startedAt);
      },
    });
    this.informer = informer;
    // Registered after the controller's own handler, so it runs in the same dispatch.
    informer.addHandler({
      onAdd: (obj) => {
        const key = objectKey(obj);
        if (!this.enqueuedAt.has(key)) this.enqueuedAt.set(key, this.clock.now());
      },
    });
    this.startedAt = this.clock.now();
    this.running = this.manager.run(this.stopper.signal).catch((err: unknown) => {
      this.failure = err;
    });
  }

  /** Starts the manager and waits until its cache is synced and the controller runs. */
  static async start(opts: CounterManagerOptions): Promise<CounterManager> {
    const m = new CounterManager(opts);
    await until(
      () => {
        m.check();
        return m.manager.isReady();
      },
      {
        clock: opts.clock,
        timeoutMs: 120_000,
        what: 'the manager to be ready',
        intervalMs: 10,
      },
    );
    return m;
  }

  counts(): RequestCounts {
    return { ...this.manager.api.counts };
  }

  /**
   * Waits until `expected` keys are done and every cached object shows its generation
   * observed. Fails when no key gets done for `stallMs`: objects that never converge must stop
   * the run loudly rather than let it report a figure.
   */
  async waitConverged(expected: number, stallMs = 60_000): Promise<void> {
    let lastCount = -1;
    let lastProgress = this.clock.now();
    await until(
      () => {
        this.check();
        const count = this.doneAt.size;
        const now = this.clock.now();
        if (count !== lastCount) {
          lastCount = count;
          lastProgress = now;
        } else if (now - lastProgress > stallMs) {
          throw new Error(
            `no object converged for ${stallMs / 1000} s: ${count} of ${expected} done, ` +
              `${this.unconverged()} cached objects without their generation observed`,
          );
        }
        return count >= expected && this.unconverged() === 0;
      },
      { clock: this.clock, timeoutMs: 30 * 60_000, what: `${expected} converged objects` },
    );
  }

  /** Cached objects whose status does not yet show their generation observed. */
  unconverged(): number {
    let n = 0;
    for (const obj of this.informer.cache.list()) if (!isConverged(obj)) n++;
    return n;
  }

  async stop(): Promise<void> {
    this.stopper.abort(new Error('benchmark phase over'));
    await this.running;
    this.check();
  }

  /** Rethrows a failure of the manager's run, so a waiting phase stops instead of hanging. */
  private check(): void {
    if (this.failure !== undefined) throw this.failure as Error;
  }
}
