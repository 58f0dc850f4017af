// The agent's side of a VolumeSnapshot: the snapshot in the pool, taken once, never changed,
// removed on deletion without touching volumes made from it.
import type { ExternalClient } from '../../../controllers/external/index.ts';
import type { VolumeSnapshotObject } from '../api/index.ts';
import type { SnapshotInfo, SnapshotRef } from '../backend/index.ts';
import { ownerRef } from './owners.ts';
import { notPlaced, notPlacedYet, placedPool, type PoolBackends } from './pool-backends.ts';

/** The snapshot's backend reference: its own UID and the UID of the volume it is of. */
function snapshotRef(snap: VolumeSnapshotObject): SnapshotRef | undefined {
  const volumeUid = snap.status?.volumeUID;
  return volumeUid ? { ...ownerRef(snap), volumeUid } : undefined;
}

export function snapshotDataStatus(info: SnapshotInfo | undefined): {
  readyToUse: boolean;
  sizeBytes?: number;
  creationTime?: string;
} {
  if (!info) return { readyToUse: false };
  return {
    readyToUse: true,
    sizeBytes: info.sizeBytes,
    creationTime: info.createdAt.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

export function snapshotData(
  snap: VolumeSnapshotObject,
  pools: PoolBackends,
): ExternalClient<VolumeSnapshotObject, SnapshotInfo> {
  const backend = async (signal: AbortSignal) => {
    const pool = placedPool(snap);
    if (pool === undefined) throw notPlacedYet();
    return pools.backendFor(pool, signal);
  };
  const ref = () => {
    const r = snapshotRef(snap);
    if (!r) throw notPlacedYet();
    return r;
  };
  return {
    async observe(obj, signal) {
      if (placedPool(obj) === undefined || !snapshotRef(obj)) return notPlaced(obj);
      const info = await (await backend(signal)).inspectSnapshot(ref(), signal);
      // A snapshot is what it was when taken: once there, it is up to date.
      return info
        ? { exists: true, upToDate: true, observed: info }
        : { exists: false, upToDate: false };
    },
    async create(_obj, signal) {
      await (await backend(signal)).createSnapshot(ref(), signal);
    },
    async update() {
      // Nothing about a snapshot can change after it is taken.
    },
    async delete(_obj, signal) {
      await (await backend(signal)).deleteSnapshot(ref(), signal);
    },
  };
}
