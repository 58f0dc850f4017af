// Where an Image is imported: its pool (named, or the default VolumeType's), on the host that
// holds its source (a file on a host, a Volume), else any host reaching the pool.
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { ImageObject } from '../../../ecs/index.ts';
import type { StoragePoolObject, VolumeObject, VolumeTypeObject } from '../../api/index.ts';
import { poolScope, missing, refuse, wait, type Decision, isReady } from './decision.ts';
import type { HostView } from './hosts.ts';
import { pickHost } from './pick-host.ts';
import { resolveVolumeType } from './volume-type.ts';

export interface ImagePlacementStatus {
  storagePool: string;
  host: string;
}

export interface ImageWorld {
  types: readonly VolumeTypeObject[];
  pool(name: string): StoragePoolObject | undefined;
  hosts: readonly HostView[];
  volume(namespace: string, name: string): VolumeObject | undefined;
}

export function placeImage(image: ImageObject, world: ImageWorld): Decision<ImagePlacementStatus> {
  let poolName = image.spec.storagePoolRef?.name;
  if (poolName === undefined) {
    // The default type's pool: resolve as for a Volume without a type.
    const resolved = resolveVolumeType(
      {
        apiVersion: 'evs.kcloud.io/v1alpha1',
        kind: 'Volume',
        metadata: {},
        spec: { size: '1Gi' },
      },
      world.types,
    );
    if ('reason' in resolved) {
      return refuse(
        resolved.reason,
        resolved.message.replace(
          'the Volume names no volumeTypeRef',
          'the Image names no storagePoolRef',
        ),
      );
    }
    poolName = resolved.type.spec.storagePoolRef.name;
  }
  const pool = world.pool(poolName);
  if (!pool) return missing('StoragePoolNotFound', `StoragePool ${poolName} does not exist`);
  let pinnedTo: string | undefined;
  const { hostFile, volume } = image.spec.source;
  if (hostFile) pinnedTo = hostFile.host;
  if (volume) {
    const src = world.volume(image.metadata.namespace ?? '', volume.name);
    if (!src) return missing('VolumeNotFound', `Volume ${volume.name} does not exist`);
    if (!isReady(src) || src.status?.host === undefined) {
      return wait('WaitingForVolume', `Volume ${volume.name} is not Available yet`);
    }
    if (src.status.storagePool !== poolName) {
      return refuse(
        'SourceInOtherPool',
        `Volume ${volume.name} is in storage pool ${src.status.storagePool ?? '?'}: import the image into that pool (storagePoolRef)`,
        false,
      );
    }
    if ((src.status.attachments ?? []).length > 0) {
      return wait('SourceVolumeInUse', `Volume ${volume.name} is attached: detach it to copy it`);
    }
    pinnedTo = src.status.host;
  }
  const current = image.metadata.labels?.[hostLabel];
  const placement = pickHost(
    {
      key: image.metadata.uid ?? '',
      pool: poolName,
      poolScope: poolScope(pool),
      sizeBytes: 0,
      ...(current !== undefined ? { current } : {}),
      ...(pinnedTo !== undefined && current === undefined ? { pinnedTo } : {}),
    },
    world.hosts,
  );
  if ('reason' in placement) return wait(placement.reason, placement.message);
  return { bind: placement.host, status: { storagePool: poolName, host: placement.host } };
}
