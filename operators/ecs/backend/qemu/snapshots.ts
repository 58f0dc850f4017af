// Snapshots of a disk while its guest runs, through QMP: internal snapshots of the disk's
// image (qcow2 tags in a file pool; RBD snapshots, which QEMU's rbd driver takes, in a Ceph
// pool), named by the caller (EVS names them `snap-<uid>`). QEMU drains the disk's I/O for the
// moment it takes, so the snapshot is crash-consistent; freeze the guest's filesystems first
// (guest agent) for a consistent one.
import { diskNames } from './devices.ts';
import { VmError } from './errors.ts';
import { QmpCommandError, type QmpClient } from './qmp-client.ts';

const snapshotName = /^[A-Za-z0-9_.-]{1,128}$/;

function check(name: string): void {
  if (!snapshotName.test(name)) {
    throw new VmError(
      'InvalidDefinition',
      `snapshot name ${JSON.stringify(name)} must be 1-128 letters, digits, '_', '.' or '-'`,
    );
  }
}

/** Takes snapshot `name` of the disk; one that exists already is done. */
export async function snapshotDisk(qmp: QmpClient, diskId: string, name: string): Promise<void> {
  check(name);
  try {
    // The device's root node is the throttle filter; QEMU takes the snapshot below it.
    await qmp.execute('blockdev-snapshot-internal-sync', {
      device: diskNames(diskId).throttle,
      name,
    });
  } catch (err) {
    if (err instanceof QmpCommandError && /already exists/i.test(err.desc)) return;
    throw err;
  }
}

/** Deletes snapshot `name` of the disk; one that is not there is done. */
export async function deleteDiskSnapshot(
  qmp: QmpClient,
  diskId: string,
  name: string,
): Promise<void> {
  check(name);
  try {
    await qmp.execute('blockdev-snapshot-delete-internal-sync', {
      device: diskNames(diskId).throttle,
      name,
    });
  } catch (err) {
    if (err instanceof QmpCommandError && /not found|does not exist|Can't find/i.test(err.desc)) {
      return;
    }
    throw err;
  }
}
