// A VolumeAttachment is placed on the host its spec names, once the Volume may be used there:
// it exists and is Available, its pool reaches that host (a Local pool's volume is on one host
// only), and no other Instance holds it unless it is multiAttach. Two attachments of one volume
// decided at once by different workers must not both win: the first decision claims the
// volume in this process (the manager runs one leader), before the binding write lands in the
// cache.
import { hostLabel } from '../../../../controllers/host/index.ts';
import { objectKey } from '../../../../controllers/kube/index.ts';
import type { StoragePoolObject, VolumeAttachmentObject, VolumeObject } from '../../api/index.ts';
import { isReady, missing, poolScope, refuse, wait, type Decision } from './decision.ts';
import type { HostView } from './hosts.ts';

export interface AttachmentWorld {
  volume(namespace: string, name: string): VolumeObject | undefined;
  pool(name: string): StoragePoolObject | undefined;
  host(name: string): HostView | undefined;
  /** The attachments naming a volume (by namespace and name), this one among them. */
  attachmentsOf(namespace: string, volume: string): VolumeAttachmentObject[];
}

export type AttachmentPlacementStatus = { storagePool: string };

/** Which attachment holds each single-attach volume, by volume key, in this process. */
export class VolumeClaims {
  private readonly holders = new Map<string, string>();

  /**
   * Whether `attachment` may hold `volume`: it is free, or held by `attachment`, or by an
   * attachment `stillThere` no longer knows (deleted). Claims it when it may.
   */
  claim(volume: string, attachment: string, stillThere: (key: string) => boolean): boolean {
    const holder = this.holders.get(volume);
    if (holder !== undefined && holder !== attachment && stillThere(holder)) return false;
    this.holders.set(volume, attachment);
    return true;
  }

  holderOf(volume: string): string | undefined {
    return this.holders.get(volume);
  }

  /** The volume is gone: nothing holds it any more. */
  forget(volume: string): void {
    this.holders.delete(volume);
  }
}

/**
 * Whether an attachment holds its volume: once bound, until it is gone (a deleting one is held
 * by its instance's agent until the disk is unplugged); never bound, only while not deleting.
 */
const holds = (a: VolumeAttachmentObject) =>
  a.metadata.labels?.[hostLabel] !== undefined || !a.metadata.deletionTimestamp;

export function placeAttachment(
  att: VolumeAttachmentObject,
  world: AttachmentWorld,
  claims: VolumeClaims,
): Decision<AttachmentPlacementStatus> {
  const ns = att.metadata.namespace ?? '';
  const name = att.spec.volumeRef.name;
  const what = `Volume ${name}`;
  const host = att.spec.host;
  const vol = world.volume(ns, name);
  const volumeKey = `${ns}/${name}`;
  const self = objectKey(att);
  const bound = att.metadata.labels?.[hostLabel];
  if (bound !== undefined && vol?.status?.storagePool !== undefined) {
    // Once attached it stays so until deleted: the Instance has the disk open.
    return { bind: bound, status: { storagePool: vol.status.storagePool } };
  }
  if (!vol) return missing('VolumeNotFound', `${what} does not exist`);
  if (vol.metadata.deletionTimestamp) {
    return refuse('VolumeDeleting', `${what} is being deleted`, false);
  }
  const pool = vol.status?.storagePool;
  const volumeHost = vol.metadata.labels?.[hostLabel];
  if (!isReady(vol) || pool === undefined || volumeHost === undefined) {
    return wait('WaitingForVolume', `${what} is not Available yet`);
  }
  const poolObj = world.pool(pool);
  if (!poolObj) return missing('StoragePoolNotFound', `StoragePool ${pool} does not exist`);
  if (poolScope(poolObj) === 'Local') {
    if (volumeHost !== host) {
      return refuse(
        'VolumeOnOtherHost',
        `${what} is in the Local pool ${pool} on host ${volumeHost}: an instance on host ${host} cannot use it`,
        false,
      );
    }
  } else {
    const view = world.host(host);
    if (!view) return missing('HostNotFound', `Host ${host} does not exist`);
    if (!view.pools.has(pool)) {
      return wait('PoolNotReachable', `host ${host} does not reach the StoragePool ${pool}`);
    }
  }
  if (vol.spec.multiAttach !== true) {
    const others = world.attachmentsOf(ns, name).filter((a) => holds(a) && objectKey(a) !== self);
    const attached = others.find((a) => a.metadata.labels?.[hostLabel] !== undefined);
    const stillThere = (key: string) => others.some((a) => objectKey(a) === key);
    if (attached || !claims.claim(volumeKey, self, stillThere)) {
      const byKey = attached ? objectKey(attached) : claims.holderOf(volumeKey);
      const by = others.find((a) => objectKey(a) === byKey);
      return wait(
        'VolumeAttachedElsewhere',
        `${what} is attached to Instance ${by?.spec.instanceRef.name ?? 'another instance'} (VolumeAttachment ${by?.metadata.name ?? '?'}) and is not multiAttach: this attachment waits until that one is deleted`,
      );
    }
  }
  return { bind: host, status: { storagePool: pool } };
}
