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
