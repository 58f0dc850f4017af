import { Registry } from 'prom-client';
import { realClock, type Clock } from '../clock/index.ts';
import type { Cache } from '../informer/index.ts';
import type { KubeObject, ObjectClient } from '../kube/index.ts';
import {
  addFinalizer,
  applyStatus,
  hasFinalizer,
  observedGenerationAfter,
  removeFinalizer,
  setOutcomeConditions,
  type Condition,
  type Outcome,
  type Reconcile,
  type ReconcileContext,
  type Request,
  type Result,
} from '../reconcile/index.ts';
import {
  ReconcileError,
  type ExternalClient,
  type InProgress,
  type Observation,
} from './external-client.ts';
import { managedMetrics } from './metrics.ts';

/** The shortest wait before a backend at work is observed again. */
export const minInProgressRequeueMs = 100;

/** The status fields the skeleton owns; a product adds its own beside them. */
export interface ManagedStatus {
  phase?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export interface ManagedObject<S extends ManagedStatus> extends KubeObject {
  status?: S;
}

/** Records events about objects; the events recorder satisfies it. */
export interface Recorder {
  event(
    regarding: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
  ): void;
}

export interface ManagedReconcilerOptions<T extends ManagedObject<S>, S extends ManagedStatus, O> {
  /** Field manager for status writes and the controller name in events. */
  controllerName: string;
  finalizer: string;
  client: ObjectClient<T>;
  cache: Cache<T>;
  /** The backend for one object. */
  external: (obj: T) => ExternalClient<T, O>;
  /** The product's own status fields from what the backend observed. */
  status: (obj: T, observation: Observation<O>) => Omit<S, keyof ManagedStatus>;
  /** Whether deleting the object deletes the backend resource; default Delete. */
  deletionPolicy?: (obj: T) => 'Delete' | 'Retain';
  /**
   * Something that must go first (a VPC's Subnets, a Subnet's interfaces): deletion waits,
   * reported as `Ready=False` with this reason and message, and is retried after
   * `retryAfterMs` (and whenever a watch on the dependents enqueues the object).
   */
  deletionBlockedBy?: (obj: T) => { reason: string; message: string } | undefined;
  recorder?: Recorder;
  clock?: Clock;
  /** After a successful reconcile, check the backend again after this long (drift repair). */
  pollIntervalMs?: number;
  /** Where `kcloud_backend_delete_errors_total` is registered (the manager's registry). */
  registry?: Registry;
}

const readyMessage = 'the backend resource matches the spec';

/** A failure as an outcome: Stalled when retrying cannot help, else still Reconciling. */
function failureOutcome(err: unknown, fallbackReason: string, prefix = ''): Outcome {
  const reason = err instanceof ReconcileError ? err.reason : fallbackReason;
  const message = prefix + (err instanceof Error ? err.message : String(err));
  return err instanceof ReconcileError && !err.retry
    ? { state: 'Stalled', reason, message }
    : { state: 'Reconciling', reason, message };
}

/**
 * The reconcile every product operator shares, on the model of Cluster API and Crossplane:
 * fetch the object (gone: done); on deletion, delete the backend resource, then drop the
 * finalizer; otherwise make sure the finalizer is there, observe the backend, create or update
 * it, and write status once at the end whatever happened: the Ready, Reconciling and Stalled
 * conditions, phase and observedGeneration (for a generation that reconciled to Ready or to
 * Stalled; a failure that is retried, or work the backend reports in progress, keeps the
 * previous one). A backend still at work (`Observation.inProgress`) is left alone and looked
 * at again after the delay it names, as phase `Provisioning` without an error or event. A failed backend delete is
 * reported the same way, with an event and `kcloud_backend_delete_errors_total`.
 */
export function managedReconciler<T extends ManagedObject<S>, S extends ManagedStatus, O>(
  opts: ManagedReconcilerOptions<T, S, O>,
): Reconcile {
  const clock = opts.clock ?? realClock;
  const record = (
    obj: T,
    type: 'Normal' | 'Warning',
    reason: string,
    action: string,
    note: string,
  ) => {
    opts.recorder?.event(obj, type, reason, action, note);
  };

  const metrics = managedMetrics(opts.registry ?? new Registry());

  /**
   * Writes the outcome as status: Ready, Reconciling and Stalled for the object's generation,
   * the phase, and observedGeneration once the generation came to a conclusion.
   */
  async function writeOutcome(
    obj: T,
    outcome: Outcome,
    phase: string,
    productStatus: Omit<S, keyof ManagedStatus>,
    ctx: ReconcileContext,
  ): Promise<void> {
    const generation = obj.metadata.generation;
    const previous = obj.status;
    const status = {
      ...productStatus,
      phase,
      conditions: setOutcomeConditions(
        previous?.conditions,
        outcome,
        generation,
        new Date(clock.now()),
      ),
      observedGeneration: observedGenerationAfter(
        outcome,
        generation,
        previous?.observedGeneration,
      ),
    } as S;
    await applyStatus<S, T>(opts.client, obj, status, opts.controllerName, ctx.signal);
  }

  async function reconcileDelete(obj: T, ctx: ReconcileContext): Promise<Result | undefined> {
    if (!hasFinalizer(obj, opts.finalizer)) return undefined;
    const blocked = opts.deletionBlockedBy?.(obj);
    if (blocked) {
      await writeOutcome(
        obj,
        { state: 'Reconciling', ...blocked },
        'Deleting',
        stripManaged(obj.status),
        ctx,
      );
      ctx.log.info('deletion waits for dependents', { reason: blocked.reason });
      return { requeueAfter: 5_000 };
    }
    const policy = opts.deletionPolicy?.(obj) ?? 'Delete';
    if (policy === 'Delete') {
      const external = opts.external(obj);
      try {
        const observation = await external.observe(obj, ctx.signal);
        if (observation.exists) {
          await external.delete(obj, ctx.signal);
          const after = await external.observe(obj, ctx.signal);
          if (after.exists) {
            // Some backends delete asynchronously: look again shortly before releasing the object.
            ctx.log.info('backend resource still exists after delete, waiting');
            return { requeueAfter: 1_000 };
          }
          record(obj, 'Normal', 'Deleted', 'Delete', 'deleted the backend resource');
        }
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        // Without this the object would sit in Terminating still saying Ready=True: say what
        // failed where `kubectl describe` and kstatus look, and keep retrying with backoff.
        const outcome = failureOutcome(
          err,
          'DeleteFailed',
          'deleting the backend resource failed: ',
        );
        metrics.deleteErrors.inc({ controller: opts.controllerName, reason: outcome.reason });
        record(obj, 'Warning', outcome.reason, 'Delete', outcome.message);
        await writeOutcome(obj, outcome, 'Deleting', stripManaged(obj.status), ctx);
        if (outcome.state === 'Stalled') return undefined;
        throw err;
      }
    } else {
      record(
        obj,
        'Normal',
        'Retained',
        'Delete',
        'kept the backend resource (deletionPolicy Retain)',
      );
    }
    await removeFinalizer(opts.client, obj, opts.finalizer, ctx.signal);
    ctx.log.info('finalizer removed');
    return undefined;
  }

  async function reconcileNormal(
    obj: T,
    ctx: ReconcileContext,
  ): Promise<{ observation: Observation<O>; inProgress?: InProgress; result?: Result }> {
    const external = opts.external(obj);
    let observation = await external.observe(obj, ctx.signal);
    // A second round when the first write did not take: something else may have changed the
    // backend between our write and our look (a member joining a group, a hand edit). Only a
    // backend that still differs after that is an error. A backend at work is left alone.
    for (
      let round = 0;
      round < 2 && !observation.inProgress && !(observation.exists && observation.upToDate);
      round++
    ) {
      if (!observation.exists) {
        await external.create(obj, ctx.signal);
        record(obj, 'Normal', 'Created', 'Create', 'created the backend resource');
        ctx.log.info('backend resource created');
      } else {
        await external.update(obj, observation, ctx.signal);
        record(
          obj,
          'Normal',
          'Updated',
          'Update',
          'updated the backend resource to match the spec',
        );
        ctx.log.info('backend resource updated');
      }
      observation = await external.observe(obj, ctx.signal);
    }
    if (observation.inProgress) {
      const { inProgress } = observation;
      // A backend that asks for no delay (0, negative, NaN) would be observed in a tight loop.
      const requeueAfter = Math.max(minInProgressRequeueMs, inProgress.requeueAfterMs || 0);
      return { observation, inProgress, result: { requeueAfter } };
    }
    if (!observation.exists || !observation.upToDate) {
      throw new ReconcileError(
        'BackendNotConverged',
        'the backend does not match the spec after a write',
      );
    }
    return {
      observation,
      ...(opts.pollIntervalMs ? { result: { requeueAfter: opts.pollIntervalMs } } : {}),
    };
  }

  return async (req: Request, ctx: ReconcileContext): Promise<Result | undefined> => {
    const cached = opts.cache.get(req.key);
    if (!cached) return undefined;
    // The cache's object is shared; work on a copy.
    let obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) return reconcileDelete(obj, ctx);

    obj = await addFinalizer(opts.client, obj, opts.finalizer, ctx.signal);
    let outcome: Outcome;
    let productStatus: Omit<S, keyof ManagedStatus>;
    let failure: Error | undefined;
    let result: Result | undefined;
    let phase = 'Ready';
    try {
      const normal = await reconcileNormal(obj, ctx);
      result = normal.result;
      productStatus = opts.status(obj, normal.observation);
      if (normal.inProgress) {
        // Reconciling keeps observedGeneration where it was: kstatus reads InProgress until
        // the backend is done with this generation.
        const { reason, message } = normal.inProgress;
        outcome = { state: 'Reconciling', reason, message };
        phase = 'Provisioning';
      } else {
        outcome = { state: 'Ready', reason: 'Available', message: readyMessage };
      }
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      // The product fields stay as last observed.
      productStatus = stripManaged(obj.status);
      outcome = failureOutcome(err, 'ReconcileError');
      phase = 'Failed';
      record(obj, 'Warning', outcome.reason, 'Reconcile', outcome.message);
    }
    await writeOutcome(obj, outcome, phase, productStatus, ctx);

    if (failure !== undefined) {
      if (outcome.state === 'Stalled') return undefined;
      throw failure;
    }
    return result;
  };
}

function stripManaged<S extends ManagedStatus>(
  status: S | undefined,
): Omit<S, keyof ManagedStatus> {
  if (!status) return {} as Omit<S, keyof ManagedStatus>;
  const { phase, observedGeneration, conditions, ...rest } = status;
  return rest;
}
