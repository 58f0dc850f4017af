// The agent's side of a Volume: its data in the pool — made from its source, grown to its size,
// removed on deletion. Shaped as the shared reconcile's external client.
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import { quantityBytes, type VolumeObject, type VolumeStatus } from '../api/index.ts';
import type { VolumeInfo, VolumeSource } from '../backend/index.ts';
import { ownerRef } from './owners.ts';
import { notPlaced, notPlacedYet, placedPool, type PoolBackends } from './pool-backends.ts';
import { sourceMissing, type SourceReader } from './sources.ts';

export interface VolumeDataOptions {
  pools: PoolBackends;
  sources: SourceReader;
}

/** What the agent writes in a Volume's status from the data it found. */
export function volumeDataStatus(
  observation: Observation<VolumeInfo>,
): Pick<VolumeStatus, 'sizeBytes' | 'allocatedBytes' | 'image'> {
  const info = observation.observed;
  if (!info) return {};
  const { image } = info;
  return {
    sizeBytes: info.virtualSizeBytes,
    allocatedBytes: info.allocatedBytes,
    // The pool's record of what the data were made from (at creation, or by a reimage).
    ...(image ? { image: { name: image.name, namespace: image.namespace, uid: image.uid } } : {}),
  };
}

async function backendSource(
  volume: VolumeObject,
  sources: SourceReader,
  signal: AbortSignal,
): Promise<VolumeSource | undefined> {
  const ns = volume.metadata.namespace ?? '';
  const source = volume.spec.source;
  if (!source) return undefined;
  if (source.image) {
    const imageNs = source.image.namespace ?? ns;
    const image = await sources.image(imageNs, source.image.name, signal);
    if (!image) throw sourceMissing('Image', imageNs, source.image.name);
    return { kind: 'Image', image: ownerRef(image) };
  }
  if (source.snapshot) {
    const snap = await sources.snapshot(ns, source.snapshot.name, signal);
    if (!snap) throw sourceMissing('VolumeSnapshot', ns, source.snapshot.name);
    const volumeUid = snap.status?.volumeUID;
    if (!volumeUid) {
      throw new ReconcileError(
        'WaitingForVolumeSnapshot',
        `VolumeSnapshot ${source.snapshot.name} is not placed yet`,
      );
    }
    return { kind: 'VolumeSnapshot', snapshot: { ...ownerRef(snap), volumeUid } };
  }
  const name = source.volume?.name ?? '';
  const src = await sources.volume(ns, name, signal);
  if (!src) throw sourceMissing('Volume', ns, name);
  if ((src.status?.attachments ?? []).length > 0) {
    throw new ReconcileError(
      'SourceVolumeInUse',
      `Volume ${name} is attached: detach it to clone it`,
    );
  }
  return { kind: 'Volume', volume: ownerRef(src) };
}

export function volumeData(
  volume: VolumeObject,
  opts: VolumeDataOptions,
): ExternalClient<VolumeObject, VolumeInfo> {
  const backend = async (signal: AbortSignal) => {
    const pool = placedPool(volume);
    if (pool === undefined) throw notPlacedYet();
    return opts.pools.backendFor(pool, signal);
  };
  const size = () => quantityBytes(volume.spec.size);
  // What a create in this reconcile made, as the backend said: the look that follows a create
  // takes it instead of asking the pool again (a qemu-img run on a file pool, three rbd calls
  // on an RBD pool, per volume).
  let made: VolumeInfo | undefined;
  return {
    async observe(obj, signal) {
      if (placedPool(obj) === undefined) return notPlaced(obj);
      const known = made;
      made = undefined;
      const info = known ?? (await (await backend(signal)).inspectVolume(ownerRef(obj), signal));
      if (!info) return { exists: false, upToDate: false };
      const upToDate = info.virtualSizeBytes >= size();
      if (!upToDate && (obj.status?.attachments ?? []).length > 0) {
        // The hypervisor has the volume open: growing it under QEMU would not reach the guest
        // and could tear its view. Its instance grows it live (block_resize), seen here then.
        return {
          exists: true,
          upToDate,
          observed: info,
          inProgress: {
            reason: 'WaitingForInstance',
            message: 'the Volume is attached: its running instance grows it',
            requeueAfterMs: 10_000,
          },
        };
      }
      return { exists: true, upToDate, observed: info };
    },
    async create(obj, signal) {
      const source = await backendSource(obj, opts.sources, signal);
      made = await (
        await backend(signal)
      ).createVolume(
        { volume: ownerRef(obj), sizeBytes: size(), ...(source ? { source } : {}) },
        signal,
      );
    },
    async update(obj, _observation, signal) {
      await (await backend(signal)).growVolume(ownerRef(obj), size(), signal);
    },
    async delete(obj, signal) {
      if ((obj.status?.attachments ?? []).length > 0) {
        throw new ReconcileError(
          'InUse',
          'the Volume is attached: detach it first; nothing was deleted',
        );
      }
      await (await backend(signal)).deleteVolume(ownerRef(obj), { snapshots: 'refuse' }, signal);
    },
  };
}
