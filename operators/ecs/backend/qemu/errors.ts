import { ReconcileError } from '../../../../controllers/external/index.ts';

/**
 * Why a VM operation failed, in words a human can act on; each becomes a condition reason as
 * it is (`Running=False, reason=QemuFailed`).
 */
export type VmErrorReason =
  /** The VM definition cannot be turned into a QEMU command line (a bad name, MAC, path…). */
  | 'InvalidDefinition'
  /** QEMU refused to start; the message carries its own words. */
  | 'QemuFailed'
  /** qemu-system-x86_64 is not installed on this host. */
  | 'QemuNotInstalled'
  /** QEMU's monitor (QMP) did not answer in time, or went away mid-command. */
  | 'MonitorUnavailable'
  /** QEMU answered a monitor command with an error. */
  | 'CommandFailed'
  /** The VM is not running (its QEMU exited). */
  | 'NotRunning'
  /** A VM with this UUID already runs on this host. */
  | 'AlreadyRunning'
  /** The guest did not release a device (unplug needs the guest's cooperation). */
  | 'DeviceBusy'
  /** A disk or NIC of that id is already attached, or none with that id is. */
  | 'DeviceConflict'
  /** The guest agent did not answer: not installed or not running in the guest, or the guest is
   * not up yet. */
  | 'GuestAgentUnavailable'
  /** The guest agent answered a command with an error. */
  | 'GuestCommandFailed';

const retryable: ReadonlySet<VmErrorReason> = new Set<VmErrorReason>([
  'QemuFailed',
  'MonitorUnavailable',
  'CommandFailed',
  'DeviceBusy',
  'AlreadyRunning',
  'GuestAgentUnavailable',
  'GuestCommandFailed',
]);

/** A failed VM operation; a `ReconcileError`, so a controller shows it as it is. */
export class VmError extends ReconcileError {
  declare readonly reason: VmErrorReason;

  constructor(reason: VmErrorReason, message: string, opts: { cause?: unknown } = {}) {
    super(reason, message, { retry: retryable.has(reason), cause: opts.cause });
    this.name = 'VmError';
  }
}

export function isVmError(err: unknown, reason?: VmErrorReason): err is VmError {
  return err instanceof VmError && (reason === undefined || err.reason === reason);
}
