import { Registry } from 'prom-client';
import { realClock, type Clock } from '../clock/index.ts';
import type { Cache } from '../informer/index.ts';
import { isConflict, objectKey, type KubeObject, type ObjectClient } from '../kube/index.ts';
import {
  addFinalizer,
  applyStatus,
  getCondition,
  hasFinalizer,
  removeFinalizer,
  StatusConflictError,
  type Condition,
  type ConditionUpdate,
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
  type Unreachable,
} from './external-client.ts';
import { managedMetrics } from './metrics.ts';
import { StatusBatcher, type BatchedStatus } from './status-batch.ts';
import { ownCondition, roleStatus, type Conclusion, type StatusRole } from './status-roles.ts';
import { WaitingError } from './waiting.ts';

/** The shortest wait before a backend at work, or unreachable, is observed again. */
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
  /**
   * Who adds the finalizer: the reconciler before it observes (the default), or the external
   * client in its own create/update write. The latter saves a write per object where that
   * write is to the object itself (a binding label): an object never created anywhere then
   * carries no finalizer, and the client's observe must report it not up to date without one.
   */
  finalizerAddedBy?: 'reconciler' | 'client';
  client: ObjectClient<T>;
  cache: Cache<T>;
  /** The backend for one object. */
  external: (obj: T) => ExternalClient<T, O>;
  /** The product's own status fields from what the backend observed. */
  status: (obj: T, observation: Observation<O>) => Omit<S, keyof ManagedStatus>;
  /**
   * Product status fields summed from other objects (a Volume's attachments), written with
   * every outcome, deletion included: others may act on them while the object is going.
   */
  derived?: (obj: T) => Partial<Omit<S, keyof ManagedStatus>>;
  /** Whether deleting the object deletes the backend resource; default Delete. */
  deletionPolicy?: (obj: T) => 'Delete' | 'Retain';
  /**
   * Something that must go first (a VPC's Subnets, a Subnet's interfaces): deletion waits,
   * reported as `Ready=False` with this reason and message, and is retried after
   * `retryAfterMs` (and whenever a watch on the dependents enqueues the object).
   */
  deletionBlockedBy?: (obj: T) => { reason: string; message: string } | undefined;
  recorder?: Recorder;
  /**
   * Whether a backend resource created or updated as the spec asks is recorded as a Normal
   * event (the default). Kinds made in bulk (an interface per instance) or whose backend
   * follows other objects (a group's members) turn this off: Ready already says it, and each
   * event is one more API write. Deletions, failures and waits are recorded either way.
   */
  successEvents?: boolean;
  /**
   * Whether this writer acts on the object yet. A host's agent sees a scheduler's label before
   * the placement status the scheduler writes next (two writes): until then it has nothing to
   * do and nothing to say that the scheduler's condition does not already say, so nothing is
   * written (a status write, and the summarizer's answer to it, per object). The wiring wakes
   * the controller when the answer turns true; a deleted object is handled as ever.
   */
  actsOn?: (obj: T) => boolean;
  /**
   * Product status fields summed from other objects: a change of these alone is written at
   * most once per period per object (see status-batch.ts), never left stale.
   */
  batchedStatus?: {
    fields: readonly Exclude<keyof S, keyof ManagedStatus>[];
    periodMs: number;
  };
  clock?: Clock;
  /** After a successful reconcile, check the backend again after this long (drift repair). */
  pollIntervalMs?: number;
  /** Where `kcloud_backend_delete_errors_total` is registered (the manager's registry). */
  registry?: Registry;
  /**
   * Which part of the status this controller writes: the only writer (the default), a
   * contributing writer (a host agent, one condition) or the summarizing writer (Ready).
   */
  role?: StatusRole<T>;
  /**
   * The product status fields this controller owns (what `status` returns). Required when
   * another writer shares the status; a single writer without it owns every field.
   */
  statusFields?: readonly Exclude<keyof S, keyof ManagedStatus>[];
  /**
   * Conditions this writer reports beside its own outcome (an agent's GuestAgentConnected):
   * computed from each fresh observation, kept as they were when nothing new was observed.
   * `of` returns one update per type it knows of; the writer owns every type in `types`.
   */
  observedConditions?: {
    types: readonly string[];
    of: (obj: T, observation: Observation<O>) => ConditionUpdate[];
  };
}

const readyMessage = 'the backend resource matches the spec';

type ProductStatus<S> = Omit<S, keyof ManagedStatus>;

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
 * at again after the delay it names, as phase `Provisioning` without an error or event; one
 * that cannot be reached (`Observation.unreachable`) likewise, as `Unknown`, with one Warning
 * event when it turns so. A backend that throws a WaitingError (a referenced object missing or
 * not Ready yet) leaves the object `Pending` with the wait's reason: no event, no error, no
 * backoff; a watch on the referent brings it back. A failed backend
 * delete is reported the same way, with an event and `kcloud_backend_delete_errors_total`.
 * With a `role`, the status written is that role's part (see status-roles.ts).
 */
export function managedReconciler<T extends ManagedObject<S>, S extends ManagedStatus, O>(
  opts: ManagedReconcilerOptions<T, S, O>,
): Reconcile {
  const clock = opts.clock ?? realClock;
  const role: StatusRole<T> = opts.role ?? { kind: 'single' };
  const productFields = opts.statusFields as readonly string[] | undefined;
  if (role.kind !== 'single' && productFields === undefined) {
    throw new Error(
      `${opts.controllerName}: a ${role.kind} shares the status with another writer and must name its statusFields`,
    );
  }
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
  const successEvents = opts.successEvents ?? true;
  const batcher = opts.batchedStatus
    ? new StatusBatcher(opts.batchedStatus as BatchedStatus, clock)
    : undefined;

  /** The product fields this writer owns, from what it computed (others' are dropped). */
  const own = (product: ProductStatus<S> | Record<string, unknown>): Record<string, unknown> => {
    const all = product as Record<string, unknown>;
    if (!productFields) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => productFields.includes(k)));
  };

  /** The writer's other conditions from a fresh observation (none observed: kept as they are). */
  const observedConditions = (obj: T, observation: Observation<O>) =>
    opts.observedConditions && observation.observed !== undefined
      ? { conditions: opts.observedConditions.of(obj, observation) }
      : {};

  /** The product fields as last written, for outcomes that observed nothing new. */
  const kept = (obj: T): Record<string, unknown> => own(stripManaged(obj.status));

  /**
   * Writes the conclusion as this writer's part of the status. A field another writer holds
   * is reported (an event) and retried with backoff, never forced over. Returns how long a
   * write of batched fields alone was held back (0: nothing held back); the caller requeues
   * the object for then.
   */
  async function writeOutcome(
    obj: T,
    conclusion: Conclusion,
    ctx: ReconcileContext,
  ): Promise<number> {
    const derived = opts.derived?.(obj);
    // The phase is read from the object as it will be (an InUse that ended shows at once).
    const view = derived ? ({ ...obj, status: { ...obj.status, ...derived } } as T) : obj;
    const { status, owned } = roleStatus(
      role,
      view,
      derived ? { ...conclusion, product: { ...conclusion.product, ...own(derived) } } : conclusion,
      productFields,
      new Date(clock.now()),
      opts.observedConditions?.types,
    );
    const key = objectKey(obj);
    const held = conclusion.deleting ? 0 : (batcher?.holdFor(key, obj.status, status, owned) ?? 0);
    if (held > 0) return held;
    try {
      const written = await applyStatus<S, T>(
        opts.client,
        obj,
        status as S,
        opts.controllerName,
        ctx.signal,
        owned,
      );
      if (written) batcher?.wrote(key);
      return 0;
    } catch (err) {
      if (err instanceof StatusConflictError) {
        record(obj, 'Warning', err.reason, 'WriteStatus', err.message);
      }
      throw err;
    }
  }

  /** One event when the backend turns unreachable (or its reason changes), none per retry. */
  function recordUnreachable(obj: T, unreachable: Unreachable, action: string): void {
    const before: Condition | undefined = getCondition(obj.status?.conditions, ownCondition(role));
    if (before?.status === 'Unknown' && before.reason === unreachable.reason) return;
    record(obj, 'Warning', unreachable.reason, action, unreachable.message);
  }

  const delay = (ms: number) => Math.max(minInProgressRequeueMs, ms || 0);

  /** An info line when the object starts waiting, or waits for something else; debug after. */
  function logWaiting(obj: T, waiting: WaitingError, ctx: ReconcileContext): void {
    const before = getCondition(obj.status?.conditions, ownCondition(role));
    // Not `message`: the logger would append that field to the line's own message.
    const fields = { reason: waiting.reason, detail: waiting.message };
    if (before?.status === 'False' && before.reason === waiting.reason) {
      ctx.log.debug('waiting', fields);
    } else {
      ctx.log.info('waiting', fields);
    }
  }

  /**
   * A contributor's objects whose work stalled, by key, with the generation it stalled at. Only
   * a memory of this process: after a restart the work is tried once more, which is harmless.
   */
  const stalledAt = new Map<string, { generation: number; error: Error }>();

  async function reconcileDelete(obj: T, ctx: ReconcileContext): Promise<Result | undefined> {
    if (!hasFinalizer(obj, opts.finalizer)) return undefined;
    const deleting = (outcome: Outcome): Conclusion => ({
      outcome,
      phase: 'Deleting',
      product: kept(obj),
      deleting: true,
    });
    const blocked = opts.deletionBlockedBy?.(obj);
    if (blocked) {
      await writeOutcome(obj, deleting({ state: 'Reconciling', ...blocked }), ctx);
      ctx.log.info('deletion waits for dependents', { reason: blocked.reason });
      return { requeueAfter: 5_000 };
    }
    const policy = opts.deletionPolicy?.(obj) ?? 'Delete';
    if (policy === 'Delete') {
      const external = opts.external(obj);
      try {
        const observation = await external.observe(obj, ctx.signal);
        if (observation.unreachable) {
          // Nothing can be deleted where nothing can be reached; the object waits, saying why.
          const { unreachable } = observation;
          recordUnreachable(obj, unreachable, 'Delete');
          await writeOutcome(obj, deleting({ state: 'Unknown', ...unreachable }), ctx);
          return { requeueAfter: delay(unreachable.requeueAfterMs) };
        }
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
        if (ctx.signal.aborted || err instanceof StatusConflictError) throw err;
        // Without this the object would sit in Terminating still saying Ready=True: say what
        // failed where `kubectl describe` and kstatus look, and keep retrying with backoff.
        const outcome = failureOutcome(
          err,
          'DeleteFailed',
          'deleting the backend resource failed: ',
        );
        metrics.deleteErrors.inc({ controller: opts.controllerName, reason: outcome.reason });
        record(obj, 'Warning', outcome.reason, 'Delete', outcome.message);
        await writeOutcome(obj, deleting(outcome), ctx);
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
    /** The stalled failure of this generation: observe only, and report it again. */
    frozen?: Error,
  ): Promise<{
    observation: Observation<O>;
    inProgress?: InProgress;
    unreachable?: Unreachable;
    result?: Result;
  }> {
    const external = opts.external(obj);
    let observation = await external.observe(obj, ctx.signal);
    // A second round when the first write did not take: something else may have changed the
    // backend between our write and our look (a member joining a group, a hand edit). Only a
    // backend that still differs after that is an error. A backend at work, or out of reach,
    // is left alone.
    if (
      frozen &&
      !observation.inProgress &&
      !observation.unreachable &&
      !(observation.exists && observation.upToDate)
    ) {
      throw frozen;
    }
    for (
      let round = 0;
      round < 2 &&
      !observation.inProgress &&
      !observation.unreachable &&
      !(observation.exists && observation.upToDate);
      round++
    ) {
      if (!observation.exists) {
        await external.create(obj, ctx.signal);
        if (successEvents) {
          record(obj, 'Normal', 'Created', 'Create', 'created the backend resource');
        }
        ctx.log.info('backend resource created');
      } else {
        await external.update(obj, observation, ctx.signal);
        if (successEvents) {
          record(
            obj,
            'Normal',
            'Updated',
            'Update',
            'updated the backend resource to match the spec',
          );
        }
        ctx.log.info('backend resource updated');
      }
      observation = await external.observe(obj, ctx.signal);
    }
    if (observation.unreachable) {
      const { unreachable } = observation;
      return {
        observation,
        unreachable,
        result: { requeueAfter: delay(unreachable.requeueAfterMs) },
      };
    }
    if (observation.inProgress) {
      const { inProgress } = observation;
      // A backend that asks for no delay (0, negative, NaN) would be observed in a tight loop.
      return {
        observation,
        inProgress,
        result: { requeueAfter: delay(inProgress.requeueAfterMs) },
      };
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
    if (!cached) {
      stalledAt.delete(req.key);
      batcher?.forget(req.key);
      return undefined;
    }
    // The cache's object is shared; work on a copy.
    let obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) {
      stalledAt.delete(req.key);
      return reconcileDelete(obj, ctx);
    }
    if (opts.actsOn && !opts.actsOn(obj)) return undefined;

    if (opts.finalizerAddedBy !== 'client') {
      obj = await addFinalizer(opts.client, obj, opts.finalizer, ctx.signal);
    }
    const generation = obj.metadata.generation ?? 0;
    // A contributor's work that failed in a way only a new spec can fix (a wrong checksum) is
    // not redone for the same generation because the other writer's status or our own
    // finalizer changed: the backend is still observed, nothing is written to it.
    const stalled = stalledAt.get(req.key);
    const frozen = stalled?.generation === generation ? stalled.error : undefined;
    if (!frozen) stalledAt.delete(req.key);
    let conclusion: Conclusion;
    let failure: Error | undefined;
    let waiting: WaitingError | undefined;
    let result: Result | undefined;
    try {
      const normal = await reconcileNormal(obj, ctx, frozen);
      result = normal.result;
      if (normal.unreachable) {
        // Nothing new was observed: the product fields stay as last known.
        const { reason, message } = normal.unreachable;
        recordUnreachable(obj, normal.unreachable, 'Observe');
        conclusion = {
          outcome: { state: 'Unknown', reason, message },
          phase: 'Unknown',
          product: kept(obj),
          deleting: false,
        };
      } else if (normal.inProgress) {
        // Reconciling keeps observedGeneration where it was: kstatus reads InProgress until
        // the backend is done with this generation.
        const { reason, message } = normal.inProgress;
        conclusion = {
          outcome: { state: 'Reconciling', reason, message },
          phase: 'Provisioning',
          product: own(opts.status(obj, normal.observation)),
          deleting: false,
          ...observedConditions(obj, normal.observation),
        };
      } else {
        conclusion = {
          outcome: { state: 'Ready', reason: 'Available', message: readyMessage },
          phase: 'Ready',
          product: own(opts.status(obj, normal.observation)),
          deleting: false,
          ...observedConditions(obj, normal.observation),
        };
      }
    } catch (err) {
      // A write refused for a stale resourceVersion: this copy came from a cache that had not
      // yet seen the latest change (often this writer's own status). Nothing failed, so there
      // is no Warning event and no Failed phase to write and take back: the controller looks
      // again shortly with a fresh copy.
      if (isConflict(err)) throw err;
      if (err instanceof WaitingError) {
        // Nothing was written and nothing new observed: the product fields stay as last known.
        waiting = err;
        conclusion = {
          outcome: { state: 'Reconciling', reason: err.reason, message: err.message },
          phase: 'Pending',
          product: kept(obj),
          deleting: false,
        };
        logWaiting(obj, err, ctx);
      } else {
        failure = err instanceof Error ? err : new Error(String(err));
        const outcome = failureOutcome(err, 'ReconcileError');
        // The product fields stay as last observed.
        conclusion = { outcome, phase: 'Failed', product: kept(obj), deleting: false };
        // A stalled failure seen again without acting is no news.
        if (err !== frozen) record(obj, 'Warning', outcome.reason, 'Reconcile', outcome.message);
      }
    }
    const held = await writeOutcome(obj, conclusion, ctx);
    // Not backoff: the watch on the referent brings the object back when that changes.
    if (waiting) {
      return waiting.requeueAfterMs === undefined
        ? undefined
        : { requeueAfter: delay(waiting.requeueAfterMs) };
    }

    if (failure !== undefined) {
      if (conclusion.outcome.state === 'Stalled') {
        if (role.kind === 'contributor') stalledAt.set(req.key, { generation, error: failure });
        return undefined;
      }
      throw failure;
    }
    return held > 0 ? soonest(result, held) : result;
  };
}

/** The result that requeues at the earlier of its own time and `ms` from now. */
function soonest(result: Result | undefined, ms: number): Result {
  const own = result?.requeueAfter;
  return { ...result, requeueAfter: own !== undefined && own > 0 ? Math.min(own, ms) : ms };
}

function stripManaged<S extends ManagedStatus>(status: S | undefined): ProductStatus<S> {
  if (!status) return {} as ProductStatus<S>;
  const { phase, observedGeneration, conditions, ...rest } = status;
  return rest;
}
