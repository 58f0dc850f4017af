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
import { checkUid } from '../naming.ts';
import { FileContext } from './file-context.ts';
import { dataFile } from './file-layout.ts';
import * as images from './file-images.ts';
import * as objects from './file-objects.ts';
import * as snapshots from './file-snapshots.ts';
import * as volumes from './file-volumes.ts';

export interface FilePoolOptions {
  /** The pool's directory (absolute; must exist: a missing mount is `PoolUnreachable`). */
  dir: string;
  /** Host directories images may be imported from by path; none by default. */
  importRoots?: readonly string[];
}

/** A StoragePool of type `file`: a directory of qcow2 files, every operation by qemu-img. */
export class FilePool implements StorageBackend {
  readonly type = 'file';
  readonly nativeFormat = 'qcow2';
  private readonly ctx: FileContext;

  constructor(opts: FilePoolOptions) {
    this.ctx = new FileContext(opts.dir, opts.importRoots ?? []);
  }

  get dir(): string {
    return this.ctx.pool.dir;
  }

  capacity(): Promise<PoolCapacity> {
    return objects.capacity(this.ctx);
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

  quarantine(kind: OwnerKind, ref: OwnerRef | SnapshotRef): Promise<void> {
    return objects.quarantine(this.ctx, kind, ref);
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

  deleteImage(image: OwnerRef): Promise<void> {
    return images.deleteImage(this.ctx, image);
  }

  attachTarget(volume: OwnerRef): AttachTarget {
    return {
      file: { path: this.ctx.pool.path(dataFile('Volume', checkUid(volume.uid))), format: 'qcow2' },
    };
  }

  blockdev(volume: OwnerRef): BlockdevOptions {
    // The backing chain (the image) is opened by QEMU from the file's own header.
    return {
      driver: 'qcow2',
      file: {
        driver: 'file',
        filename: this.ctx.pool.path(dataFile('Volume', checkUid(volume.uid))),
      },
    };
  }
}
