import {
  contributionsChanged,
  explainErrors,
  managedReconciler,
  type ManagedObject,
  type ManagedReconcilerOptions,
  type ManagedStatus,
  type ReconcileError,
} from '../external/index.ts';
import type { Informer } from '../informer/index.ts';
import type { ResourceRef } from '../kube/index.ts';
import type { Manager } from '../manager/index.ts';
import {
  Controller,
  specOrMetadataChanged,
  type Reconcile,
  type Watch,
} from '../reconcile/index.ts';

export interface ManagedControllerOptions<T extends ManagedObject<S>, S extends ManagedStatus, O> {
  name: string;
  resource: ResourceRef;
  informer: Informer<T>;
  /**
   * The product's part of the shared reconcile: finalizer, backend, status, deletion rules,
   * and its role when it shares the status with another writer (a summarizer is woken by the
   * other writers' conditions as well as by spec changes).
   */
  reconciler: Omit<
    ManagedReconcilerOptions<T, S, O>,
    'controllerName' | 'client' | 'cache' | 'recorder' | 'registry'
  >;
  watches?: Watch[];
  /**
   * Other updates of the object itself that wake this controller, beside spec and metadata
   * changes: the other writer's status fields it acts on (an agent on the size the manager
   * allocated).
   */
  wakeOnUpdate?: (oldObj: T, newObj: T) => boolean;
  /** Resolves once the backend can answer (a database replica synced): no reconcile runs before. */
  ready?: Promise<void>;
  /** Gives the backend errors it recognises a reason a human can act on (explainErrors). */
  explain?: (err: unknown) => ReconcileError | undefined;
  workers?: number;
  resyncPeriodMs?: number;
  /** Which waiting keys are reconciled first (Controller's `priority`). */
  priority?: (key: string) => number;
}

/**
 * A controller on the shared reconcile (managedReconciler), wired to the manager's client,
 * cache, event recorder, metrics and log, and added to the manager: what every product's
 * controller has in common, so that a product writes only its own part.
 */
export function addManagedController<T extends ManagedObject<S>, S extends ManagedStatus, O>(
  mgr: Manager,
  opts: ManagedControllerOptions<T, S, O>,
): Controller<T> {
  const { name, informer, reconciler, explain, ready } = opts;
  const managed: Reconcile = managedReconciler<T, S, O>({
    ...reconciler,
    controllerName: name,
    client: mgr.client<T>(opts.resource),
    cache: informer.cache,
    recorder: mgr.recorder(name),
    registry: mgr.registry,
    ...(explain ? { external: (obj: T) => explainErrors(reconciler.external(obj), explain) } : {}),
  });
  const reconcile: Reconcile = ready
    ? async (req, ctx) => {
        await ready;
        return managed(req, ctx);
      }
    : managed;
  // A summarizer sums up other writers' conditions: their status-only writes must wake it;
  // so must the status fields a writer acts on.
  const role = reconciler.role;
  const summed = role?.kind === 'summarizer' ? contributionsChanged(role.contributors) : undefined;
  // An object the writer did not act on yet (actsOn) is woken by the update that lets it.
  const acts = reconciler.actsOn;
  const own = opts.wakeOnUpdate;
  const wake = acts ? (o: T, n: T) => (!acts(o) && acts(n)) || (own?.(o, n) ?? false) : own;
  const contributed =
    summed && wake ? (o: T, n: T) => summed(o, n) || wake(o, n) : (summed ?? wake);
  const controller = new Controller<T>({
    name,
    informer,
    watches: opts.watches ?? [],
    reconcile,
    ...(contributed
      ? { shouldReconcileUpdate: (o: T, n: T) => specOrMetadataChanged(o, n) || contributed(o, n) }
      : {}),
    workers: opts.workers ?? 4,
    ...(opts.priority ? { priority: opts.priority } : {}),
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
    registry: mgr.registry,
    log: mgr.log,
  });
  mgr.add(controller);
  return controller;
}
