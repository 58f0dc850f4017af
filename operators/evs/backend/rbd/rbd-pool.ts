import { checkUid, objectName } from '../naming.ts';
import type {
  AttachTarget,
  BlockdevOptions,
  CreateVolumeRequest,
  DeleteVolumeOptions,
  ImageInfo,
  ImportImageRequest,
  OwnedObject,
  OwnerKind,
  OwnerRef,
  PartialObject,
  PoolCapacity,
  SnapshotInfo,
  SnapshotRef,
  StorageBackend,
  VolumeInfo,
} from '../storage-backend.ts';
import { rbdBlockdev } from './rbd-cli.ts';
import { RbdContext, type RbdPoolOptions } from './rbd-context.ts';
import * as images from './rbd-images.ts';
import * as objects from './rbd-objects.ts';
import * as snapshots from './rbd-snapshots.ts';
import * as volumes from './rbd-volumes.ts';

/**
 * A StoragePool of type `rbd`: a pool of a Ceph cluster, driven by the `rbd` CLI as a cephx
 * user restricted to that pool, and opened by QEMU's rbd driver.
 */
export class RbdPool implements StorageBackend {
  readonly type = 'rbd';
  readonly nativeFormat = 'raw';
  private readonly ctx: RbdContext;

  constructor(opts: RbdPoolOptions) {
    this.ctx = new RbdContext(opts);
  }

  /** The generated ceph.conf QEMU and the CLI use (monitors and keyring). */
  get conf(): string {
    return this.ctx.conn.conf;
  }

  capacity(signal?: AbortSignal): Promise<PoolCapacity> {
    return objects.capacity(this.ctx, signal);
  }

  listObjects(signal?: AbortSignal): Promise<OwnedObject[]> {
    return objects.listObjects(this.ctx, signal);
  }

  listPartials(signal?: AbortSignal): Promise<PartialObject[]> {
    return objects.listPartials(this.ctx, signal);
  }

  cleanupPartials(olderThan: Date, signal?: AbortSignal): Promise<string[]> {
    return objects.cleanupPartials(this.ctx, olderThan, signal ? { signal } : {});
  }

  quarantine(kind: OwnerKind, ref: OwnerRef | SnapshotRef, signal?: AbortSignal): Promise<void> {
    return objects.quarantine(this.ctx, kind, ref, signal);
  }

  createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<VolumeInfo> {
    return volumes.createVolume(this.ctx, req, signal);
  }

  inspectVolume(volume: OwnerRef, signal?: AbortSignal): Promise<VolumeInfo | undefined> {
    return volumes.inspectVolume(this.ctx, volume, signal);
  }

  growVolume(volume: OwnerRef, sizeBytes: number, signal?: AbortSignal): Promise<VolumeInfo> {
    return volumes.growVolume(this.ctx, volume, sizeBytes, signal);
  }

  deleteVolume(volume: OwnerRef, opts?: DeleteVolumeOptions, signal?: AbortSignal): Promise<void> {
    return volumes.deleteVolume(this.ctx, volume, opts, signal);
  }

  createSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo> {
    return snapshots.createSnapshot(this.ctx, snapshot, signal);
  }

  inspectSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo | undefined> {
    return snapshots.inspectSnapshot(this.ctx, snapshot, signal);
  }

  listSnapshots(volume: OwnerRef, signal?: AbortSignal): Promise<SnapshotInfo[]> {
    return snapshots.listSnapshots(this.ctx, volume, signal);
  }

  deleteSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<void> {
    return snapshots.deleteSnapshot(this.ctx, snapshot, signal);
  }

  revertVolume(snapshot: SnapshotRef, signal?: AbortSignal): Promise<VolumeInfo> {
    return snapshots.revertVolume(this.ctx, snapshot, signal);
  }

  importImage(req: ImportImageRequest, signal?: AbortSignal): Promise<ImageInfo> {
    return images.importImage(this.ctx, req, signal);
  }

  inspectImage(image: OwnerRef, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    return images.inspectImage(this.ctx, image, signal);
  }

  deleteImage(image: OwnerRef, signal?: AbortSignal): Promise<void> {
    return images.deleteImage(this.ctx, image, signal);
  }

  attachTarget(volume: OwnerRef): AttachTarget {
    const { pool, user, conf } = this.ctx.conn;
    return { rbd: { pool, image: objectName('Volume', checkUid(volume.uid)), user, conf } };
  }

  blockdev(volume: OwnerRef): BlockdevOptions {
    return rbdBlockdev(this.ctx.conn, objectName('Volume', checkUid(volume.uid)));
  }
}
