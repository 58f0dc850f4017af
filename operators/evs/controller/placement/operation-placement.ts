// A VolumeOperation runs on its Volume's host, once the Volume and the snapshot or image allow
// it. Whether the image fits the volume and the volume has no snapshots is the agent's to say
// from the pool itself, once: an operation refused for that has ended, and must not run later
// because the volume grew or lost its snapshots meanwhile.
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { ImageObject } from '../../../ecs/index.ts';
import type {
  StoragePoolObject,
  VolumeObject,
  VolumeOperationObject,
  VolumeSnapshotObject,
} from '../../api/index.ts';
import { missing, poolScope, refuse, wait, type Decision } from './decision.ts';
import { imageSourceState } from './volume-placement.ts';

export interface OperationWorld {
  volume(namespace: string, name: string): VolumeObject | undefined;
  snapshot(namespace: string, name: string): VolumeSnapshotObject | undefined;
  image(namespace: string, name: string): ImageObject | undefined;
  pool(name: string): StoragePoolObject | undefined;
}

export function placeOperation(
  op: VolumeOperationObject,
  world: OperationWorld,
): Decision<Record<string, never>> {
  const current = op.metadata.labels?.[hostLabel];
  if (current !== undefined && op.status?.completionTime !== undefined) {
    return { bind: current, status: {} };
  }
  const ns = op.metadata.namespace ?? '';
  const volName = op.spec.volumeRef.name;
  const vol = world.volume(ns, volName);
  if (!vol) return missing('VolumeNotFound', `Volume ${volName} does not exist`);
  const host = vol.metadata.labels?.[hostLabel];
  if (host === undefined) return wait('WaitingForVolume', `Volume ${volName} is not placed yet`);
  const revert = op.spec.revert;
  if (revert) {
    const snapName = revert.snapshotRef.name;
    const snap = world.snapshot(ns, snapName);
    if (!snap)
      return missing('VolumeSnapshotNotFound', `VolumeSnapshot ${snapName} does not exist`);
    if (
      snap.spec.volumeRef.name !== volName ||
      (snap.status?.volumeUID !== undefined && snap.status.volumeUID !== vol.metadata.uid)
    ) {
      return refuse(
        'SnapshotOfAnotherVolume',
        `VolumeSnapshot ${snapName} is not a snapshot of Volume ${volName}`,
        false,
      );
    }
    if (!snap.status?.readyToUse) {
      return wait('WaitingForVolumeSnapshot', `VolumeSnapshot ${snapName} is not ready to use yet`);
    }
  }
  const reimage = op.spec.reimage;
  if (reimage) {
    // The image must be in the Volume's pool, ready, exactly as for a Volume made from it.
    const image = imageSourceState(ns, reimage.imageRef, (n, name) => world.image(n, name));
    if (!image.ok) return image.decision;
    const pool = vol.status?.storagePool;
    if (pool === undefined) return wait('WaitingForVolume', `Volume ${volName} is not placed yet`);
    if (image.pool !== pool) {
      return refuse(
        'SourceInOtherPool',
        `${image.what} is in storage pool ${image.pool ?? '?'}, Volume ${volName} in ${pool}: import the image into ${pool} (an Image with storagePoolRef ${pool})`,
        false,
      );
    }
    // A Local pool's image is on one host's disk: a volume on another host cannot use it.
    const scope = world.pool(pool);
    if (scope && poolScope(scope) === 'Local' && image.host !== undefined && image.host !== host) {
      return refuse(
        'ImageOnOtherHost',
        `${image.what} is on host ${image.host} of Local storage pool ${pool}, Volume ${volName} on ${host}: use an image imported on ${host} (source.hostFile on it)`,
        false,
      );
    }
  }
  if ((vol.status?.attachments ?? []).length > 0) {
    return wait('VolumeInUse', `Volume ${volName} is attached: detach it; the operation runs then`);
  }
  return { bind: host, status: {} };
}
