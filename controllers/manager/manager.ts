import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { realClock, type Clock } from '../clock/index.ts';
import { EventRecorder, KubeEventsClient } from '../events/index.ts';
import { startHealthServer, type Check } from '../health/server.ts';
import {
  Informer,
  scopeKey,
  type IndexFunc,
  type InitialList,
  type ScopeFilter,
} from '../informer/index.ts';
import { ApiClient, ObjectClient, type KubeObject, type ResourceRef } from '../kube/index.ts';
import { coordinationLeaseClient, createLeaderMetrics, LeaderElector } from '../leader/index.ts';
import type { Logger } from '../logging/logger.ts';
import type { Controller } from '../reconcile/index.ts';

export interface LeaderElectionOptions {
  namespace: string;
  /** The Lease's name, shared by every replica. */
  name: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ManagerOptions {
  kubeconfig: KubeConfig;
  log: Logger;
  /** Unique per process: the Lease holder and the events' reportingInstance. */
  identity: string;
  /** Serve /healthz, /readyz and /metrics here. */
  health?: { host: string; port: number };
  /** Readiness checks of the process beside the manager's own (an agent's heartbeat). */
  readiness?: Check[];
  /** Off: this process runs its controllers without asking anyone. */
  leaderElection?: LeaderElectionOptions;
  initialList?: InitialList;
  /** Watch and reconcile only this namespace (a tenant-scoped manager); default all. */
  namespace?: string;
  registry?: Registry;
  clock?: Clock;
}

function resourceId(ref: ResourceRef, namespace?: string, scope?: string): string {
  return `${ref.group}/${ref.version}/${ref.plural}@${namespace ?? ''}?${scope ?? ''}`;
}

export interface Runnable {
  name: string;
  run(signal: AbortSignal): Promise<void>;
  /**
   * false: it runs in every replica once the caches are synced, leader or not (a server the
   * API server calls, as controller-runtime's webhook server does). Default true.
   */
  needLeaderElection?: boolean;
  /** For /readyz, of a runnable in every replica: whether it serves yet. */
  isReady?(): boolean;
}

const everywhere = (r: Runnable) => r.needLeaderElection === false;

/**
 * Hosts controllers in one process, as controller-runtime's manager does: one shared informer
 * per resource, whatever number of controllers read it; caches filled in every replica (so a
 * successor takes over warm); controllers run only in the leader; /readyz is ready once the
 * caches are synced and, in the leader, the controllers run.
 */
export class Manager {
  readonly api: ApiClient;
  readonly registry: Registry;
  readonly log: Logger;
  readonly identity: string;
  private readonly opts: ManagerOptions;
  private readonly clock: Clock;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller<KubeObject>[] = [];
  private readonly runnables: Runnable[] = [];
  private readonly recorders: EventRecorder[] = [];
  private readonly shutdownHooks: (() => Promise<void>)[] = [];
  private elector: LeaderElector | undefined;
  private server: Server | undefined;
  private leading = false;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.identity = opts.identity;
    this.clock = opts.clock ?? realClock;
    this.registry = opts.registry ?? new Registry();
    if (!opts.registry) collectDefaultMetrics({ register: this.registry });
    this.api = new ApiClient(opts.kubeconfig, this.registry);
  }

  client<T extends KubeObject>(ref: ResourceRef): ObjectClient<T> {
    return new ObjectClient<T>(this.api, ref);
  }

  /**
   * The shared informer of a resource (optionally of one namespace, or of the objects of an
   * InformerScope, a label selector and a filter: an agent caches only what is bound to its
   * hosts); created on first use.
   */
  informer<T extends KubeObject>(
    ref: ResourceRef,
    opts: {
      namespace?: string;
      labelSelector?: string;
      /** Narrows what the selector lists, on the client (see InformerScope). */
      filter?: ScopeFilter;
      indexers?: Record<string, IndexFunc<T>>;
    } = {},
  ): Informer<T> {
    const namespace = ref.namespaced ? (opts.namespace ?? this.opts.namespace) : undefined;
    const { labelSelector, filter } = opts;
    const id = resourceId(ref, namespace, scopeKey(opts));
    let informer = this.informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>({
        name: `${ref.plural}.${ref.group || 'core'}`,
        client: this.client<T>(ref),
        ...(namespace ? { namespace } : {}),
        ...(labelSelector ? { labelSelector } : {}),
        ...(filter ? { inScope: (o: T) => filter.accepts(o) } : {}),
        ...(this.opts.initialList ? { initialList: this.opts.initialList } : {}),
        clock: this.clock,
        log: this.log.child({ informer: ref.plural }),
      });
      this.informers.set(id, informer as unknown as Informer<KubeObject>);
    }
    for (const [name, fn] of Object.entries(opts.indexers ?? {}))
      informer.cache.addIndexer(name, fn);
    return informer;
  }

  /** An events recorder reporting as `kcloud.io/<controller>`. */
  recorder(controller: string): EventRecorder {
    const recorder = new EventRecorder({
      client: new KubeEventsClient(this.api),
      reportingController: `kcloud.io/${controller}`,
      reportingInstance: this.identity,
      clock: this.clock,
      log: this.log.child({ controller }),
      registry: this.registry,
    });
    this.recorders.push(recorder);
    return recorder;
  }

  /** The one namespace this manager watches, or undefined for all. */
  get namespace(): string | undefined {
    return this.opts.namespace;
  }

  /** Runs when the manager stops, after its controllers (e.g. to close a backend connection). */
  onShutdown(hook: () => Promise<void>): void {
    this.shutdownHooks.push(hook);
  }

  add<T extends KubeObject>(controller: Controller<T>): void {
    this.controllers.push(controller as unknown as Controller<KubeObject>);
  }

  /**
   * Work that is not driven by objects (a periodic sweep of a backend): it runs beside the
   * controllers, only in the leader (or, with `needLeaderElection: false`, in every replica)
   * and only once the caches are synced, until `signal` aborts. A runnable that throws is
   * logged and not restarted.
   */
  addRunnable(runnable: Runnable): void {
    this.runnables.push(runnable);
  }

  cachesSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Ready: caches synced, every runnable of every replica serving and, in the leader (or
   * without election), every controller running.
   */
  isReady(): boolean {
    if (!this.cachesSynced()) return false;
    if (!this.runnables.filter(everywhere).every((r) => r.isReady?.() ?? true)) return false;
    if (this.opts.leaderElection && !this.leading) return true;
    return this.controllers.every((c) => c.isRunning());
  }

  /**
   * Runs until the signal aborts, or until leadership is lost (the caller should then exit:
   * a fresh process is the simplest way to start again from a clean state).
   */
  async run(signal: AbortSignal): Promise<'stopped' | 'lost-leadership'> {
    if (this.opts.health) {
      this.server = await startHealthServer({
        ...this.opts.health,
        registry: this.registry,
        liveness: [{ name: 'ping', check: () => true }],
        readiness: [
          { name: 'informers-synced', check: () => this.cachesSynced() },
          { name: 'controllers', check: () => this.isReady() },
          ...(this.opts.readiness ?? []),
        ],
      });
    }
    const informersStop = new AbortController();
    const replicaStop = new AbortController();
    signal.addEventListener('abort', () => {
      replicaStop.abort(signal.reason);
    });
    let replicaRuns: Promise<unknown> = Promise.resolve();
    const informerRuns = [...this.informers.values()].map((i) => i.run(informersStop.signal));
    let outcome: 'stopped' | 'lost-leadership' = 'stopped';
    try {
      await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
      this.log.info('caches synced', { informers: this.informers.size });
      replicaRuns = this.startRunnables(this.runnables.filter(everywhere), replicaStop.signal);
      if (this.opts.leaderElection) {
        outcome = await this.runElected(this.opts.leaderElection, signal);
      } else {
        this.leading = true;
        await this.runControllers(signal);
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    } finally {
      // Leadership lost ends the replica's runnables too: the process exits and starts afresh.
      replicaStop.abort(new Error('manager stopping'));
      await replicaRuns;
      informersStop.abort(new Error('manager stopping'));
      await Promise.allSettled(informerRuns);
      await Promise.allSettled(this.recorders.map((r) => r.flush()));
      await Promise.allSettled(this.shutdownHooks.map((h) => h()));
      await new Promise<void>((resolve) => {
        if (this.server)
          this.server.close(() => {
            resolve();
          });
        else resolve();
      });
      await this.api.close();
    }
    return outcome;
  }

  private startRunnables(runnables: Runnable[], signal: AbortSignal): Promise<unknown> {
    return Promise.all(
      runnables.map(async (r) => {
        try {
          await r.run(signal);
        } catch (err) {
          if (signal.aborted) return;
          this.log.error('runnable failed', {
            runnable: r.name,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }),
    );
  }

  private async runControllers(signal: AbortSignal): Promise<void> {
    const leaderOnly = this.runnables.filter((r) => !everywhere(r));
    await Promise.all([
      ...this.controllers.map((c) => c.run(signal)),
      this.startRunnables(leaderOnly, signal),
    ]);
  }

  private async runElected(
    le: LeaderElectionOptions,
    signal: AbortSignal,
  ): Promise<'stopped' | 'lost-leadership'> {
    const log = this.log.child({ lease: `${le.namespace}/${le.name}` });
    this.elector = new LeaderElector({
      client: coordinationLeaseClient(this.api),
      namespace: le.namespace,
      name: le.name,
      identity: this.identity,
      ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
      clock: this.clock,
      log,
      releaseOnCancel: true,
      metrics: createLeaderMetrics(this.registry),
      onStartedLeading: async (leadSignal) => {
        this.leading = true;
        log.info('leading: starting controllers', { identity: this.identity });
        await this.runControllers(leadSignal);
      },
      onStoppedLeading: () => {
        this.leading = false;
      },
      onNewLeader: (identity) => {
        log.info('leader observed', { leader: identity });
      },
    });
    await this.elector.run(signal);
    return signal.aborted ? 'stopped' : 'lost-leadership';
  }
}
