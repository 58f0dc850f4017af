import { Registry, type Counter } from 'prom-client';
import { jitterUntil, type Clock } from '../clock/index.ts';
import { isNotFound, type KubeObject } from '../kube/index.ts';
import type { Logger } from '../logging/logger.ts';
import { orphansTotal, type OrphanAction } from './metrics.ts';

/**
 * A backend object as its product lists it: every backend object records who owns it (DESIGN
 * §1), so a sweep can tell whether that owner still exists.
 */
export interface BackendObject {
  /** The backend's own name for it (a file, an RBD image, the OVN rows of one owner). */
  id: string;
  /** The owner's kind, a key of the sweeper's `owners`. */
  kind: string;
  owner: { namespace?: string; name: string; uid: string };
}

/** One kind of owner: its informer (cache and whether it has synced) and a live read. */
export interface OwnerKind {
  informer: { cache: { list(): KubeObject[] }; hasSynced(): boolean };
  /** A GET from the API server, past every cache (an ObjectClient); 404 when there is none. */
  live: {
    get(namespace: string | undefined, name: string, signal?: AbortSignal): Promise<KubeObject>;
  };
}

/**
 * What is done to an orphan. `delete` for what can be rebuilt from a spec (OVN rows);
 * `quarantine` for data (volumes, images, snapshots): the product moves it aside and reports
 * it, and only the owner's own deletion, or a human, ever deletes it.
 */
export type OrphanPolicy<B> =
  | { action: 'delete'; delete: (obj: B, signal: AbortSignal) => Promise<void> }
  | { action: 'quarantine'; quarantine: (obj: B, signal: AbortSignal) => Promise<void> };

export interface OrphanSweeperOptions<B extends BackendObject> {
  /** Names the sweep in the metric and the logs. */
  controller: string;
  /** Every backend object the product holds, each naming its owner. */
  list: (signal: AbortSignal) => Promise<B[]>;
  /** The owner kinds this sweep judges, by kind; objects of other kinds are left alone. */
  owners: Record<string, OwnerKind>;
  policy: OrphanPolicy<B>;
  /** Only objects whose owner is in this namespace (a namespace-scoped manager). */
  namespace?: string;
  log: Logger;
  /** Where `kcloud_orphans_total` is registered (the manager's registry). */
  registry?: Registry;
}

export interface SweepResult<B> {
  /** False: an owner cache has not synced, so nothing was judged. */
  synced: boolean;
  /** Orphans seen for the first time: acted on next sweep if still orphaned then. */
  suspected: B[];
  /** Orphans deleted or quarantined by this sweep. */
  acted: B[];
}

/**
 * Finds backend objects whose owner is gone and deletes or quarantines them, per product
 * policy. A cache can lag or be wrong (a relist, a namespace-scoped manager, a restored
 * database), so an object is acted on only when all of these hold:
 *
 * 1. every owner cache has synced;
 * 2. its owner's UID is in no owner cache;
 * 3. a live GET of the owner by namespace and name answers 404, or an object with another UID
 *    (the name was reused by a new object);
 * 4. it was found orphaned by the previous sweep too (same object, same owner UID).
 *
 * The backend is listed before the caches are read: an owner is in its cache before its
 * controller writes anything for it, so a new owner's objects are never mistaken for orphans.
 */
export class OrphanSweeper<B extends BackendObject> {
  private readonly opts: OrphanSweeperOptions<B>;
  private readonly counter: Counter<'controller' | 'action'>;
  private readonly actionName: OrphanAction;
  /** Orphans of the previous sweep, by object and owner UID. */
  private suspects = new Set<string>();

  constructor(opts: OrphanSweeperOptions<B>) {
    this.opts = opts;
    this.counter = orphansTotal(opts.registry ?? new Registry());
    this.actionName = opts.policy.action === 'delete' ? 'deleted' : 'quarantined';
    this.counter.inc({ controller: opts.controller, action: this.actionName }, 0);
  }

  async sweep(signal: AbortSignal): Promise<SweepResult<B>> {
    const { owners, log, controller } = this.opts;
    if (!Object.values(owners).every((o) => o.informer.hasSynced())) {
      // A sweep that could not judge breaks the run of sightings: start over.
      this.suspects.clear();
      log.debug('orphan sweep skipped: owner caches not synced', { controller });
      return { synced: false, suspected: [], acted: [] };
    }
    const listed = await this.opts.list(signal);
    const alive = new Set<string>();
    for (const kind of Object.values(owners)) {
      for (const obj of kind.informer.cache.list())
        if (obj.metadata.uid) alive.add(obj.metadata.uid);
    }
    const gone = new Map<string, Promise<boolean | undefined>>();
    const next = new Set<string>();
    const suspected: B[] = [];
    const acted: B[] = [];
    for (const obj of listed) {
      const kind = owners[obj.kind];
      if (!kind || alive.has(obj.owner.uid)) continue;
      if (this.opts.namespace !== undefined && obj.owner.namespace !== this.opts.namespace)
        continue;
      const ownerKey = `${obj.kind}\u0000${obj.owner.uid}`;
      let check = gone.get(ownerKey);
      if (!check) {
        check = this.ownerGone(kind, obj, signal);
        gone.set(ownerKey, check);
      }
      if ((await check) !== true) continue;
      const key = `${obj.id}\u0000${ownerKey}`;
      if (!this.suspects.has(key)) {
        next.add(key);
        suspected.push(obj);
        log.debug('backend object looks orphaned; acted on if still so next sweep', {
          controller,
          ...describe(obj),
        });
        continue;
      }
      try {
        await this.act(obj, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        // Still an orphan: tried again next sweep, once more verified.
        next.add(key);
        log.error('acting on an orphaned backend object failed', {
          controller,
          action: this.opts.policy.action,
          ...describe(obj),
          error: err instanceof Error ? err.message : String(err),
        });
        continue;
      }
      acted.push(obj);
      this.counter.inc({ controller, action: this.actionName });
      log.info(`orphaned backend object ${this.actionName}`, {
        controller,
        action: this.actionName,
        ...describe(obj),
      });
    }
    this.suspects = next;
    return { synced: true, suspected, acted };
  }

  /**
   * Sweeps now and then every `periodMs` (jittered, so managers started together do not sweep
   * at once) until the signal aborts. A failed sweep (the backend away for a moment) is logged
   * and the next one starts over.
   */
  async run(signal: AbortSignal, opts: { periodMs: number; clock: Clock; jitterFactor?: number }) {
    await jitterUntil(
      async () => {
        try {
          await this.sweep(signal);
        } catch (err) {
          if (signal.aborted) return;
          this.suspects.clear();
          this.opts.log.error('orphan sweep failed', {
            controller: this.opts.controller,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      },
      {
        clock: opts.clock,
        periodMs: opts.periodMs,
        jitterFactor: opts.jitterFactor ?? 0.1,
        signal,
      },
    );
  }

  /** True: the owner is gone (404, or its name now holds another object); undefined: unsure. */
  private async ownerGone(
    kind: OwnerKind,
    obj: B,
    signal: AbortSignal,
  ): Promise<boolean | undefined> {
    try {
      const live = await kind.live.get(obj.owner.namespace, obj.owner.name, signal);
      return live.metadata.uid !== obj.owner.uid;
    } catch (err) {
      if (isNotFound(err)) return true;
      if (signal.aborted) throw err;
      this.opts.log.warn('could not read the owner of a backend object; not judged this sweep', {
        controller: this.opts.controller,
        ...describe(obj),
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  private act(obj: B, signal: AbortSignal): Promise<void> {
    const { policy } = this.opts;
    return policy.action === 'delete' ? policy.delete(obj, signal) : policy.quarantine(obj, signal);
  }
}

function describe(obj: BackendObject) {
  return {
    id: obj.id,
    kind: obj.kind,
    namespace: obj.owner.namespace,
    name: obj.owner.name,
    uid: obj.owner.uid,
  };
}
