export type {
  AttachTarget,
  BlockdevOptions,
  CreateVolumeRequest,
  DeleteVolumeOptions,
  DiskFormat,
  ImageInfo,
  ImageSource,
  ImportImageRequest,
  ObjectState,
  OwnedObject,
  OwnerKind,
  OwnerRef,
  PartialObject,
  PoolCapacity,
  SnapshotInfo,
  SnapshotRef,
  StorageBackend,
  VolumeInfo,
  VolumeSource,
} from './storage-backend.ts';
export { isStorageError, StorageError, type StorageErrorReason } from './errors.ts';
export { FilePool, type FilePoolOptions } from './file/file-pool.ts';
export { RbdPool } from './rbd/rbd-pool.ts';
export type { RbdPoolOptions } from './rbd/rbd-context.ts';
