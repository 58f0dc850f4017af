export {
  StoragePool,
  poolScope,
  type StoragePoolObject,
  type StoragePoolSpec,
  type StoragePoolStatus,
} from './storage-pool.ts';
export {
  formatBytes,
  GiB,
  maxVolumeBytes,
  minVolumeBytes,
  quantityBytes,
} from './storage-schema.ts';
export {
  Volume,
  publicImagesNamespace,
  volumePhases,
  type VolumeObject,
  type VolumeSpec,
  type VolumeStatus,
} from './volume.ts';
export {
  VolumeAttachment,
  volumeAttachmentPhases,
  type AttachTargetStatus,
  type VolumeAttachmentObject,
  type VolumeAttachmentSpec,
  type VolumeAttachmentStatus,
} from './volume-attachment.ts';
export {
  VolumeOperation,
  volumeOperationPhases,
  type VolumeOperationObject,
  type VolumeOperationSpec,
  type VolumeOperationStatus,
} from './volume-operation.ts';
export {
  VolumeSnapshot,
  type VolumeSnapshotObject,
  type VolumeSnapshotSpec,
  type VolumeSnapshotStatus,
} from './volume-snapshot.ts';
export {
  VolumeType,
  type VolumeTypeObject,
  type VolumeTypeSpec,
  type VolumeTypeStatus,
} from './volume-type.ts';

import { StoragePool } from './storage-pool.ts';
import { Volume } from './volume.ts';
import { VolumeAttachment } from './volume-attachment.ts';
import { VolumeOperation } from './volume-operation.ts';
import { VolumeSnapshot } from './volume-snapshot.ts';
import { VolumeType } from './volume-type.ts';

/** Every kind of the EVS product. */
export const evsKinds = [
  StoragePool,
  VolumeType,
  Volume,
  VolumeSnapshot,
  VolumeOperation,
  VolumeAttachment,
] as const;
export {
  crashConsistentReason,
  filesystemsFrozenReason,
  openAttachments,
  openVolume,
  snapshotTag,
  takenLiveCondition,
  takingThroughInstanceReason,
  volumeOpenFinalizer,
  type OpenVolume,
} from './live-snapshots.ts';
