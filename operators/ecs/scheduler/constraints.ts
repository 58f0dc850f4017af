// What an Instance's references demand of its host, read from the caches once per decision:
// its resources, its image's architecture, and where its volumes' data can be reached.
import { hostLabel, type ImageObject, type InstanceObject } from '../api/index.ts';
import { poolScope, type StoragePoolObject, type VolumeObject } from '../../evs/api/index.ts';
import { refuse, wait, type ScheduleDecision } from './decision.ts';

/** Where the data of one of the instance's volumes is. */
export interface VolumeNeed {
  /** For messages: "Volume data-1", "the boot volume (Image debian)". */
  what: string;
  pool: string;
  /** A Local pool's data is on one host: the instance must run there. */
  pinnedTo?: string;
}

export interface VolumeWorld {
  image(namespace: string, name: string): ImageObject | undefined;
  volume(namespace: string, name: string): VolumeObject | undefined;
  pool(name: string): StoragePoolObject | undefined;
}

const isLocal = (pool: StoragePoolObject) => poolScope(pool) === 'Local';

/** The image the instance boots, or why it cannot be read yet. */
export function imageOf(
  instance: InstanceObject,
  world: Pick<VolumeWorld, 'image'>,
): ImageObject | ScheduleDecision {
  const ref = instance.spec.imageRef;
  const ns = ref.namespace ?? instance.metadata.namespace ?? '';
  const image = world.image(ns, ref.name);
  if (!image) return wait('ImageNotFound', `Image ${ns}/${ref.name} does not exist`);
  return image;
}

/**
 * The volumes' needs: the data volumes and the boot volume once it exists; before that, the
 * image's pool (a boot volume is a clone in its image's pool, on the image's host for a Local
 * pool). A contradiction (Local volumes on two hosts) is refused; anything not there yet waited
 * for.
 */
export function volumeNeeds(
  instance: InstanceObject,
  image: ImageObject,
  bootVolume: string | undefined,
  world: VolumeWorld,
): VolumeNeed[] | ScheduleDecision {
  const ns = instance.metadata.namespace ?? '';
  const needs: VolumeNeed[] = [];
  const boot = bootVolume !== undefined ? world.volume(ns, bootVolume) : undefined;
  const names = (instance.spec.dataVolumes ?? []).map((v) => v.name);
  for (const name of boot ? [bootVolume ?? '', ...names] : names) {
    const vol = world.volume(ns, name);
    if (!vol) return wait('VolumeNotFound', `Volume ${name} does not exist`);
    const poolName = vol.status?.storagePool;
    if (poolName === undefined) {
      return wait('WaitingForVolume', `Volume ${name} is not placed in a storage pool yet`);
    }
    const pool = world.pool(poolName);
    if (!pool) return wait('StoragePoolNotFound', `StoragePool ${poolName} does not exist`);
    const elsewhere = (vol.status?.attachments ?? []).find(
      (a) => a.instance !== instance.metadata.name,
    );
    if (elsewhere && vol.spec.multiAttach !== true) {
      return wait(
        'VolumeInUse',
        `Volume ${name} is attached to Instance ${elsewhere.instance}; detach it there, or make volumes shared with multiAttach`,
      );
    }
    const host = vol.metadata.labels?.[hostLabel] ?? vol.status?.host;
    if (isLocal(pool) && host === undefined) {
      return wait('WaitingForVolume', `Volume ${name} is not placed on a host yet`);
    }
    needs.push({
      what: `Volume ${name}`,
      pool: poolName,
      ...(isLocal(pool) && host !== undefined ? { pinnedTo: host } : {}),
    });
  }
  if (!boot) {
    const imageName = image.metadata.name ?? '';
    const poolName = image.spec.storagePoolRef?.name ?? image.status?.storagePool;
    if (poolName === undefined) {
      return wait(
        'WaitingForImage',
        `Image ${imageName} is not in a storage pool yet: the boot volume is cloned in the image's pool`,
      );
    }
    const pool = world.pool(poolName);
    if (!pool) return wait('StoragePoolNotFound', `StoragePool ${poolName} does not exist`);
    const host = image.status?.host;
    if (isLocal(pool) && host === undefined) {
      return wait('WaitingForImage', `Image ${imageName} is not imported on a host yet`);
    }
    needs.push({
      what: `the boot volume (a clone of Image ${imageName})`,
      pool: poolName,
      ...(isLocal(pool) && host !== undefined ? { pinnedTo: host } : {}),
    });
  }
  const pins = [...new Set(needs.flatMap((n) => (n.pinnedTo !== undefined ? [n.pinnedTo] : [])))];
  if (pins.length > 1) {
    const where = needs
      .filter((n) => n.pinnedTo !== undefined)
      .map((n) => `${n.what} on ${n.pinnedTo ?? ''}`)
      .join(', ');
    return refuse(
      'VolumesOnDifferentHosts',
      `the instance's volumes are in Local storage pools on different hosts (${where}): no host reaches them all; use volumes on one host or in a shared pool`,
    );
  }
  return needs;
}
