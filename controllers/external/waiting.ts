/**
 * Something the object names does not exist yet, or is not Ready yet (a Subnet's VPC, an
 * interface's Subnet): a wait, not a failure. GitOps applies objects in any order, so this is
 * the normal state of an object applied before what it names, and it ends by itself once a
 * watch on the referent's kind enqueues the object again.
 *
 * Thrown from a backend's observe, create or update before it writes anything, the shared
 * reconcile reports it as phase `Pending`, `Ready=False` and `Reconciling=True` with `reason`,
 * keeps observedGeneration, records no event and logs no error, and does not retry it with
 * backoff: the referent's watch brings the object back (and `requeueAfterMs`, for a referent
 * no watch can see). A failure of the backend itself stays a `ReconcileError`.
 */
export class WaitingError extends Error {
  /** CamelCase, as in a condition: `VPCNotFound`, `SubnetNotReady`. */
  readonly reason: string;
  /** Look again after this long as well; by default only the watch brings the object back. */
  readonly requeueAfterMs: number | undefined;

  constructor(reason: string, message: string, opts: { requeueAfterMs?: number } = {}) {
    super(message);
    this.name = 'WaitingError';
    this.reason = reason;
    this.requeueAfterMs = opts.requeueAfterMs;
  }
}
