// A VolumeSnapshot is taken where its Volume's data is handled: on the host of the instance
// the Volume is attached to (whose hypervisor takes it while it has the volume open, see
// api/live-snapshots.ts), else on the Volume's host.
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { VolumeObject, VolumeSnapshotObject } from '../../api/index.ts';
import { missing, refuse, wait, type Decision, isReady } from './decision.ts';

export interface SnapshotPlacementStatus {
  storagePool: string;
  volumeUID: string;
}

export function placeSnapshot(
  snap: VolumeSnapshotObject,
  volume: (namespace: string, name: string) => VolumeObject | undefined,
): Decision<SnapshotPlacementStatus> {
  const name = snap.spec.volumeRef.name;
  const vol = volume(snap.metadata.namespace ?? '', name);
  if (!vol) return missing('VolumeNotFound', `Volume ${name} does not exist`);
  const uid = vol.metadata.uid ?? '';
  const taken = snap.status?.volumeUID;
  if (taken !== undefined && taken !== uid) {
    return refuse(
      'VolumeReplaced',
      `the snapshot was taken of an earlier Volume named ${name} (uid ${taken}); that Volume is gone`,
      false,
    );
  }
  const host = vol.metadata.labels?.[hostLabel];
  const pool = vol.status?.storagePool;
  if (host === undefined || pool === undefined) {
    return wait('WaitingForVolume', `Volume ${name} is not placed yet`);
  }
  // Once taken, a snapshot only follows its volume's host (a Shared pool's volume can move).
  if (taken === undefined) {
    if (vol.metadata.deletionTimestamp) {
      return refuse('VolumeDeleting', `Volume ${name} is being deleted`);
    }
    if (!isReady(vol)) return wait('WaitingForVolume', `Volume ${name} is not Available yet`);
  }
  // An attachment's host reaches the pool (EVS placed the attachment there); in a Local pool it
  // is the Volume's host anyway.
  const user = vol.status?.attachments?.[0]?.host;
  return { bind: user ?? host, status: { storagePool: pool, volumeUID: uid } };
}
