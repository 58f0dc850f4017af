import { ReconcileError } from '../../../controllers/external/index.ts';

/**
 * Why a storage operation failed, in words a human can act on. Each becomes a condition
 * reason as it is (`Ready=False, reason=ShrinkRefused`).
 */
export type StorageErrorReason =
  /** The pool's directory or Ceph cluster cannot be reached (or refuses our credentials). */
  | 'PoolUnreachable'
  /** The object (volume, snapshot, image, source file) does not exist in the pool. */
  | 'NotFound'
  /** A request the backend cannot take as it is (an owner UID that is not a UID, ...). */
  | 'InvalidRequest'
  /** An image source that is neither http(s) nor a file path nor a volume. */
  | 'InvalidSource'
  /** A smaller size than the volume has: volumes only grow. */
  | 'ShrinkRefused'
  /** A size that is zero, negative, or smaller than the source it is made from. */
  | 'InvalidSize'
  /** The bytes imported do not have the sha256 the caller declared. */
  | 'ChecksumMismatch'
  /** The caller declared a format that is not what qemu-img detected. */
  | 'FormatMismatch'
  /** A format other than qcow2 or raw. */
  | 'UnsupportedFormat'
  /** An image with a backing file, an external data file or encryption: refused. */
  | 'UnsafeImage'
  /** A local import path outside the directories the agent may read from. */
  | 'PathNotAllowed'
  /** The http(s) source answered with an error or could not be reached. */
  | 'SourceUnreachable'
  /** The pool has no room left. */
  | 'NoSpace'
  /** A volume that still has snapshots is not deleted unless asked to delete them too. */
  | 'HasSnapshots'
  /** Another process holds the object (a running QEMU, an operation in flight, RBD watchers). */
  | 'Busy'
  /** qemu-img ran out of the CPU or memory limit while reading an untrusted image. */
  | 'ImageInspectionFailed'
  /** The operation was aborted (AbortSignal): nothing was published. */
  | 'Aborted'
  /** A command failed in a way not listed above; the message carries its stderr. */
  | 'BackendFailed';

/** Reasons for which trying again, unchanged, can succeed. */
const retryable: ReadonlySet<StorageErrorReason> = new Set<StorageErrorReason>([
  'PoolUnreachable',
  'NotFound',
  'SourceUnreachable',
  'NoSpace',
  'HasSnapshots',
  'Busy',
  'Aborted',
  'BackendFailed',
]);

/**
 * A failed storage operation. It is a `ReconcileError`, so a controller that lets it through
 * shows its reason and message as they are, and backs off only when `retry` is true.
 */
export class StorageError extends ReconcileError {
  declare readonly reason: StorageErrorReason;

  constructor(reason: StorageErrorReason, message: string, opts: { cause?: unknown } = {}) {
    super(reason, message, { retry: retryable.has(reason), cause: opts.cause });
    this.name = 'StorageError';
  }
}

export function isStorageError(err: unknown, reason?: StorageErrorReason): err is StorageError {
  return err instanceof StorageError && (reason === undefined || err.reason === reason);
}
