/**
 * What a backend reports about the external resource behind one object (an OVN row, a VM, a
 * file): whether it exists, whether it matches the spec, and anything status should show.
 */
export interface Observation<O> {
  exists: boolean;
  upToDate: boolean;
  observed?: O;
  /**
   * The backend is still converging on its own (a copy, a boot, a host not yet reporting):
   * nothing is written to it, the object shows phase `Provisioning` with `Ready=False` and
   * `Reconciling=True` for this reason, and it is looked at again after `requeueAfterMs`.
   * Work in progress is not a failure: no error, no Warning event.
   */
  inProgress?: InProgress;
  /**
   * The backend cannot be reached, so whether it matches the spec is not known (its host's
   * heartbeat is lost, say; the product decides what counts). Nothing is written to it: the
   * object's own condition (Ready for a single writer) turns `Unknown` with this reason, phase
   * `Unknown`, `Reconciling=True`, observedGeneration kept, and it is observed again after
   * `requeueAfterMs`. Not an error: no backoff storm, and one Warning event when it starts,
   * none per retry. A thrown error (a broken connection) is still a retried failure.
   */
  unreachable?: Unreachable;
}

/** Why a backend is not done yet, and when to look again. */
export interface InProgress {
  /** CamelCase, as in a condition: `Copying`, `Booting`, `WaitingForHost`. */
  reason: string;
  message: string;
  /** When to observe again; the backend knows best how long its work takes. */
  requeueAfterMs: number;
}

/** Why a backend cannot be reached, and when to look again. */
export interface Unreachable {
  /** CamelCase, as in a condition: `HostHeartbeatLost`, `PoolUnreachable`. */
  reason: string;
  message: string;
  /** When to observe again. */
  requeueAfterMs: number;
}

/**
 * The backend of one product, for one object, shaped like Crossplane's ExternalClient. Every
 * method is idempotent: called twice, or after a crash half-way, it converges on the same
 * result. Anything it creates carries the object's UID so it can be found again.
 */
export interface ExternalClient<T, O> {
  observe(obj: T, signal: AbortSignal): Promise<Observation<O>>;
  create(obj: T, signal: AbortSignal): Promise<void>;
  update(obj: T, observation: Observation<O>, signal: AbortSignal): Promise<void>;
  /** Deleting what does not exist is not an error. */
  delete(obj: T, signal: AbortSignal): Promise<void>;
}

// Defined beside the reconcile loop, which raises it too (a status write another writer
// conflicts with); products know it from here.
export { ReconcileError } from '../reconcile/errors.ts';
