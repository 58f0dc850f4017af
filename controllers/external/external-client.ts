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
}

/** Why a backend is not done yet, and when to look again. */
export interface InProgress {
  /** CamelCase, as in a condition: `Copying`, `Booting`, `WaitingForHost`. */
  reason: string;
  message: string;
  /** When to observe again; the backend knows best how long its work takes. */
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

/**
 * A failure with a reason for humans: it becomes `Ready=False, reason=<reason>`. `retry: false`
 * means trying again cannot help until the spec changes (bad input, a conflict with another
 * object), so the object waits for an edit instead of backing off forever.
 */
export class ReconcileError extends Error {
  readonly reason: string;
  readonly retry: boolean;

  constructor(reason: string, message: string, opts: { retry?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ReconcileError';
    this.reason = reason;
    this.retry = opts.retry ?? true;
  }
}
