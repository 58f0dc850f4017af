// Where a Volume is made: its type's pool, a host that reaches the pool (the host its source's
// data is on, for a Local pool), and whether its source can be used yet.
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { ImageObject } from '../../../ecs/index.ts';
import {
  publicImagesNamespace,
  quantityBytes,
  type StoragePoolObject,
  type VolumeObject,
  type VolumeSnapshotObject,
  type VolumeTypeObject,
} from '../../api/index.ts';
import { poolScope, missing, refuse, wait, type Decision, isReady } from './decision.ts';
import type { HostView } from './hosts.ts';
import { pickHost } from './pick-host.ts';
import { effectiveQos, resolveVolumeType } from './volume-type.ts';

/** What the scheduler writes in a Volume's status. */
export interface VolumePlacementStatus {
  storagePool: string;
  host: string;
  qos: { iops?: number; bytesPerSecond?: number };
}

/** Lookups into the scheduler's caches. */
export interface VolumeWorld {
  types: readonly VolumeTypeObject[];
  pool(name: string): StoragePoolObject | undefined;
  hosts: readonly HostView[];
  image(namespace: string, name: string): ImageObject | undefined;
  snapshot(namespace: string, name: string): VolumeSnapshotObject | undefined;
  volume(namespace: string, name: string): VolumeObject | undefined;
}

/** The source's pool, host and size once it can be used, or why not. */
export type SourceState =
  | { ok: true; pool?: string; host?: string; sizeBytes?: number; what: string }
  | { ok: false; decision: Decision<never> };

/**
 * An Image a volume's data are cloned from (a Volume's source, a reimage): its pool, host and
 * size once it can be used, or why not. A Volume in `namespace` may use its own namespace's
 * Images and the public ones.
 */
export function imageSourceState(
  namespace: string,
  ref: { name: string; namespace?: string },
  image: (namespace: string, name: string) => ImageObject | undefined,
): SourceState {
  const imageNs = ref.namespace ?? namespace;
  const found = image(imageNs, ref.name);
  const what = `Image ${imageNs}/${ref.name}`;
  if (!found) return { ok: false, decision: missing('ImageNotFound', `${what} does not exist`) };
  if (imageNs !== namespace && imageNs !== publicImagesNamespace) {
    return {
      ok: false,
      decision: refuse(
        'ImageNotVisible',
        `${what} is not in this namespace or ${publicImagesNamespace}`,
        false,
      ),
    };
  }
  if (!isReady(found) || found.status?.storagePool === undefined) {
    return { ok: false, decision: wait('WaitingForImage', `${what} is not Available yet`) };
  }
  return {
    ok: true,
    pool: found.status.storagePool,
    ...(found.status.host !== undefined ? { host: found.status.host } : {}),
    ...(found.status.virtualSizeBytes !== undefined
      ? { sizeBytes: found.status.virtualSizeBytes }
      : {}),
    what,
  };
}

function sourceState(volume: VolumeObject, world: VolumeWorld): SourceState {
  const ns = volume.metadata.namespace ?? '';
  const source = volume.spec.source;
  if (!source) return { ok: true, what: 'blank' };
  if (source.image) return imageSourceState(ns, source.image, (n, name) => world.image(n, name));
  if (source.snapshot) {
    const snap = world.snapshot(ns, source.snapshot.name);
    const what = `VolumeSnapshot ${source.snapshot.name}`;
    if (!snap)
      return { ok: false, decision: missing('VolumeSnapshotNotFound', `${what} does not exist`) };
    if (!snap.status?.readyToUse || snap.status.storagePool === undefined) {
      return {
        ok: false,
        decision: wait('WaitingForVolumeSnapshot', `${what} is not ready to use yet`),
      };
    }
    const host = snap.metadata.labels?.[hostLabel];
    return {
      ok: true,
      pool: snap.status.storagePool,
      ...(host !== undefined ? { host } : {}),
      ...(snap.status.sizeBytes !== undefined ? { sizeBytes: snap.status.sizeBytes } : {}),
      what,
    };
  }
  const name = source.volume?.name ?? '';
  const what = `Volume ${name}`;
  if (name === volume.metadata.name) {
    return {
      ok: false,
      decision: refuse('SourceIsSelf', 'a Volume cannot be cloned from itself', false),
    };
  }
  const src = world.volume(ns, name);
  if (!src) return { ok: false, decision: missing('VolumeNotFound', `${what} does not exist`) };
  if (!isReady(src) || src.status?.storagePool === undefined) {
    return { ok: false, decision: wait('WaitingForVolume', `${what} is not Available yet`) };
  }
  if ((src.status.attachments ?? []).length > 0) {
    return {
      ok: false,
      decision: wait('SourceVolumeInUse', `${what} is attached: detach it to clone it`),
    };
  }
  return {
    ok: true,
    pool: src.status.storagePool,
    ...(src.status.host !== undefined ? { host: src.status.host } : {}),
    ...(src.status.sizeBytes !== undefined ? { sizeBytes: src.status.sizeBytes } : {}),
    what,
  };
}

/** The scheduler's decision for a Volume. */
export function placeVolume(
  volume: VolumeObject,
  world: VolumeWorld,
): Decision<VolumePlacementStatus> {
  const resolved = resolveVolumeType(volume, world.types);
  if ('reason' in resolved) {
    const { reason, message } = resolved;
    return reason === 'VolumeTypeNotFound' ? missing(reason, message) : refuse(reason, message);
  }
  const poolName = resolved.type.spec.storagePoolRef.name;
  const pool = world.pool(poolName);
  if (!pool) {
    return missing(
      'StoragePoolNotFound',
      `StoragePool ${poolName} of VolumeType ${resolved.type.metadata.name ?? ''} does not exist`,
    );
  }
  let sizeBytes: number;
  try {
    sizeBytes = quantityBytes(volume.spec.size);
  } catch (err) {
    return refuse('InvalidSize', (err as Error).message, false);
  }
  const source = sourceState(volume, world);
  if (!source.ok) return source.decision;
  if (source.pool !== undefined && source.pool !== poolName) {
    return refuse(
      'SourceInOtherPool',
      `${source.what} is in storage pool ${source.pool}, the Volume's type puts it in ${poolName}: use a VolumeType of pool ${source.pool}`,
      false,
    );
  }
  if (source.sizeBytes !== undefined && source.sizeBytes > sizeBytes) {
    return refuse(
      'SourceLargerThanVolume',
      `${source.what} holds ${String(source.sizeBytes)} bytes, more than the Volume's ${String(sizeBytes)}: raise spec.size`,
      false,
    );
  }
  const scope = poolScope(pool);
  const current = volume.metadata.labels?.[hostLabel];
  const placement = pickHost(
    {
      key: volume.metadata.uid ?? '',
      pool: poolName,
      poolScope: scope,
      sizeBytes,
      ...(current !== undefined ? { current } : {}),
      ...(scope === 'Local' && source.host !== undefined ? { pinnedTo: source.host } : {}),
    },
    world.hosts,
  );
  if ('reason' in placement) return wait(placement.reason, placement.message);
  return {
    bind: placement.host,
    status: {
      storagePool: poolName,
      host: placement.host,
      qos: effectiveQos(resolved.type, sizeBytes),
    },
  };
}
