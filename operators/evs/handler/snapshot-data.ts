// The agent's side of a VolumeSnapshot: the snapshot in the pool, taken once, never changed,
// removed on deletion without touching volumes made from it. A snapshot of a volume a
// hypervisor has open is taken and deleted by that hypervisor (api/live-snapshots.ts): here
// its owner is recorded, and the agent waits for the snapshot to show or to go.
import type { ExternalClient, Observation } from '../../../controllers/external/index.ts';
import {
  takingThroughInstanceReason,
  type OpenVolume,
  type VolumeSnapshotObject,
} from '../api/index.ts';
import type { SnapshotInfo, SnapshotRef } from '../backend/index.ts';
import { ownerRef } from './owners.ts';
import { notPlaced, notPlacedYet, placedPool, type PoolBackends } from './pool-backends.ts';

/** The snapshot's backend reference: its own UID and the UID of the volume it is of. */
function snapshotRef(snap: VolumeSnapshotObject): SnapshotRef | undefined {
  const volumeUid = snap.status?.volumeUID;
  return volumeUid ? { ...ownerRef(snap), volumeUid } : undefined;
}

/** Placed, with the volume it is of recorded: what the agent needs to act on it. */
export function snapshotPlaced(snap: VolumeSnapshotObject): boolean {
  return placedPool(snap) !== undefined && snapshotRef(snap) !== undefined;
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

/** How often a snapshot that the volume's hypervisor takes or deletes is looked at. */
export const throughInstancePollMs = 2_000;

export function snapshotData(
  snap: VolumeSnapshotObject,
  pools: PoolBackends,
  /** Whether a hypervisor has the snapshot's volume open now (it holds an attachment). */
  openVolume: (snap: VolumeSnapshotObject) => OpenVolume | undefined,
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
    async observe(obj, signal): Promise<Observation<SnapshotInfo>> {
      if (!snapshotPlaced(obj)) return notPlaced(obj);
      const b = await backend(signal);
      const info = await b.inspectSnapshot(ref(), signal);
      // A snapshot is what it was when taken: once there, it is up to date.
      if (info) return { exists: true, upToDate: true, observed: info };
      // Its owner recorded but no snapshot: one the hypervisor has not taken yet, or has deleted
      // already. Deleting removes that record too.
      const recorded = await b.snapshotRecorded(ref(), signal);
      if (obj.metadata.deletionTimestamp) return { exists: recorded, upToDate: false };
      if (recorded && openVolume(obj)) {
        return {
          exists: false,
          upToDate: false,
          inProgress: {
            reason: takingThroughInstanceReason,
            message: `Volume ${obj.spec.volumeRef.name} is open in a running instance: its host takes the snapshot through it`,
            requeueAfterMs: throughInstancePollMs,
          },
        };
      }
      return { exists: false, upToDate: false };
    },
    async create(obj, signal) {
      const b = await backend(signal);
      // The hypervisor takes it once its owner is recorded; qemu-img would find it locked.
      if (openVolume(obj)) await b.recordSnapshot(ref(), signal);
      else await b.createSnapshot(ref(), signal);
    },
    async update() {
      // Nothing about a snapshot can change after it is taken.
    },
    async delete(obj, signal) {
      const b = await backend(signal);
      // The hypervisor deletes the snapshot of a file pool's volume it has open; its owner record
      // goes once the snapshot is gone (the reconciler observes again until then).
      if (openVolume(obj)?.consumerDeletesSnapshots && (await b.inspectSnapshot(ref(), signal))) {
        return;
      }
      await b.deleteSnapshot(ref(), signal);
    },
  };
}
