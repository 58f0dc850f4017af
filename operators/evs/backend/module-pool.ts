// A storage backend made of modules of functions over one context (a pool directory, an RBD
// connection): the pool class only names its context and how QEMU opens a volume; every
// operation is its modules' function of the same name.
import type {
  AttachTarget,
  BlockdevOptions,
  CreateVolumeRequest,
  DeleteVolumeOptions,
  DiskFormat,
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
} from './storage-backend.ts';

/** The functions of one backend's modules, each taking the backend's context first. */
export interface PoolModules<C> {
  objects: {
    capacity(ctx: C, signal?: AbortSignal): Promise<PoolCapacity>;
    listObjects(ctx: C, signal?: AbortSignal): Promise<OwnedObject[]>;
    listPartials(ctx: C, signal?: AbortSignal): Promise<PartialObject[]>;
    cleanupPartials(ctx: C, olderThan: Date, opts: { signal?: AbortSignal }): Promise<string[]>;
    quarantine(
      ctx: C,
      kind: OwnerKind,
      ref: OwnerRef | SnapshotRef,
      signal?: AbortSignal,
    ): Promise<void>;
  };
  volumes: {
    createVolume(ctx: C, req: CreateVolumeRequest, signal?: AbortSignal): Promise<VolumeInfo>;
    inspectVolume(ctx: C, volume: OwnerRef, signal?: AbortSignal): Promise<VolumeInfo | undefined>;
    growVolume(
      ctx: C,
      volume: OwnerRef,
      sizeBytes: number,
      signal?: AbortSignal,
    ): Promise<VolumeInfo>;
    deleteVolume(
      ctx: C,
      volume: OwnerRef,
      opts?: DeleteVolumeOptions,
      signal?: AbortSignal,
    ): Promise<void>;
    reimageVolume(
      ctx: C,
      volume: OwnerRef,
      image: OwnerRef,
      signal?: AbortSignal,
    ): Promise<VolumeInfo>;
  };
  snapshots: {
    createSnapshot(ctx: C, snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo>;
    inspectSnapshot(
      ctx: C,
      snapshot: SnapshotRef,
      signal?: AbortSignal,
    ): Promise<SnapshotInfo | undefined>;
    listSnapshots(ctx: C, volume: OwnerRef, signal?: AbortSignal): Promise<SnapshotInfo[]>;
    deleteSnapshot(ctx: C, snapshot: SnapshotRef, signal?: AbortSignal): Promise<void>;
    recordSnapshot(ctx: C, snapshot: SnapshotRef, signal?: AbortSignal): Promise<void>;
    snapshotRecorded(ctx: C, snapshot: SnapshotRef, signal?: AbortSignal): Promise<boolean>;
    revertVolume(ctx: C, snapshot: SnapshotRef, signal?: AbortSignal): Promise<VolumeInfo>;
  };
  images: {
    importImage(ctx: C, req: ImportImageRequest, signal?: AbortSignal): Promise<ImageInfo>;
    inspectImage(ctx: C, image: OwnerRef, signal?: AbortSignal): Promise<ImageInfo | undefined>;
    deleteImage(ctx: C, image: OwnerRef, signal?: AbortSignal): Promise<void>;
  };
}

export abstract class ModulePool<C> implements StorageBackend {
  abstract readonly type: string;
  abstract readonly nativeFormat: DiskFormat;
  protected readonly ctx: C;
  private readonly m: PoolModules<C>;

  protected constructor(ctx: C, modules: PoolModules<C>) {
    this.ctx = ctx;
    this.m = modules;
  }

  abstract attachTarget(volume: OwnerRef): AttachTarget;
  abstract fenceClients(volume: OwnerRef, signal?: AbortSignal): Promise<string[]>;
  abstract blockdev(volume: OwnerRef): BlockdevOptions;

  capacity(signal?: AbortSignal): Promise<PoolCapacity> {
    return this.m.objects.capacity(this.ctx, signal);
  }

  listObjects(signal?: AbortSignal): Promise<OwnedObject[]> {
    return this.m.objects.listObjects(this.ctx, signal);
  }

  listPartials(signal?: AbortSignal): Promise<PartialObject[]> {
    return this.m.objects.listPartials(this.ctx, signal);
  }

  cleanupPartials(olderThan: Date, signal?: AbortSignal): Promise<string[]> {
    return this.m.objects.cleanupPartials(this.ctx, olderThan, signal ? { signal } : {});
  }

  quarantine(kind: OwnerKind, ref: OwnerRef | SnapshotRef, signal?: AbortSignal): Promise<void> {
    return this.m.objects.quarantine(this.ctx, kind, ref, signal);
  }

  createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<VolumeInfo> {
    return this.m.volumes.createVolume(this.ctx, req, signal);
  }

  inspectVolume(volume: OwnerRef, signal?: AbortSignal): Promise<VolumeInfo | undefined> {
    return this.m.volumes.inspectVolume(this.ctx, volume, signal);
  }

  growVolume(volume: OwnerRef, sizeBytes: number, signal?: AbortSignal): Promise<VolumeInfo> {
    return this.m.volumes.growVolume(this.ctx, volume, sizeBytes, signal);
  }

  deleteVolume(volume: OwnerRef, opts?: DeleteVolumeOptions, signal?: AbortSignal): Promise<void> {
    return this.m.volumes.deleteVolume(this.ctx, volume, opts, signal);
  }

  reimageVolume(volume: OwnerRef, image: OwnerRef, signal?: AbortSignal): Promise<VolumeInfo> {
    return this.m.volumes.reimageVolume(this.ctx, volume, image, signal);
  }

  createSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo> {
    return this.m.snapshots.createSnapshot(this.ctx, snapshot, signal);
  }

  inspectSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo | undefined> {
    return this.m.snapshots.inspectSnapshot(this.ctx, snapshot, signal);
  }

  listSnapshots(volume: OwnerRef, signal?: AbortSignal): Promise<SnapshotInfo[]> {
    return this.m.snapshots.listSnapshots(this.ctx, volume, signal);
  }

  deleteSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<void> {
    return this.m.snapshots.deleteSnapshot(this.ctx, snapshot, signal);
  }

  recordSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<void> {
    return this.m.snapshots.recordSnapshot(this.ctx, snapshot, signal);
  }

  snapshotRecorded(snapshot: SnapshotRef, signal?: AbortSignal): Promise<boolean> {
    return this.m.snapshots.snapshotRecorded(this.ctx, snapshot, signal);
  }

  revertVolume(snapshot: SnapshotRef, signal?: AbortSignal): Promise<VolumeInfo> {
    return this.m.snapshots.revertVolume(this.ctx, snapshot, signal);
  }

  importImage(req: ImportImageRequest, signal?: AbortSignal): Promise<ImageInfo> {
    return this.m.images.importImage(this.ctx, req, signal);
  }

  inspectImage(image: OwnerRef, signal?: AbortSignal): Promise<ImageInfo | undefined> {
    return this.m.images.inspectImage(this.ctx, image, signal);
  }

  deleteImage(image: OwnerRef, signal?: AbortSignal): Promise<void> {
    return this.m.images.deleteImage(this.ctx, image, signal);
  }
}
