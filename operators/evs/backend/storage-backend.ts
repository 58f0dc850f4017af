/**
 * The storage backend of one EVS StoragePool: where volumes, their snapshots and images live.
 * Two implementations: `FilePool` (a directory of qcow2 files) and `RbdPool` (a pool of a Ceph
 * cluster). The shape follows the CSI controller service (create/delete volume and snapshot,
 * expand, list, capacity) so that a CSI-backed pool can be added behind the same interface.
 *
 * Contract of every method:
 * - Idempotent: calling it again (after success, a crash or an abort at any point) converges on
 *   one object. Creation builds under a partial name and publishes by an atomic rename that
 *   never replaces an existing object; a partial is never visible as the object.
 * - Failures throw `StorageError` (a `ReconcileError`) with a CamelCase reason and `retry`.
 * - `signal` aborts a long copy; what was half-built stays a partial, removed by the next
 *   create of the same object or by `cleanupPartials`.
 * - Snapshots are of detached volumes: the QEMU that has a volume open takes and deletes its
 *   snapshots through QMP, under the same name (`snap-<uid>`), once the pool recorded their
 *   owner (`recordSnapshot`). A volume a running process (QEMU) holds open is never deleted or
 *   reverted under it (`Busy`); a file pool also refuses to snapshot it, an RBD snapshot of it
 *   is crash-consistent.
 */

/** The Kubernetes object a backend object belongs to. Its UID names the backend object. */
export interface OwnerRef {
  namespace: string;
  name: string;
  /** `metadata.uid`: lowercase letters, digits and dashes. */
  uid: string;
}

export type OwnerKind = 'Volume' | 'VolumeSnapshot' | 'Image';

/** A snapshot belongs to the volume it was taken of: `volumeUid` says which. */
export interface SnapshotRef extends OwnerRef {
  volumeUid: string;
}

/** The formats kcloud accepts; each pool stores one natively (file: qcow2, RBD: raw). */
export type DiskFormat = 'qcow2' | 'raw';

export interface PoolCapacity {
  totalBytes: number;
  availableBytes: number;
}

/**
 * - `active`: owned by the object named; the orphan sweep looks at these.
 * - `quarantined`: moved aside (by the sweep), kept for a human; never touched again.
 * - `retired`: an image deleted while volumes still depend on it, kept only for them and
 *   removed with the last of them; it has no owner any more, so the sweep skips it.
 */
export type ObjectState = 'active' | 'quarantined' | 'retired';

/** An object found in the pool, for adoption and the orphan sweep. */
export interface OwnedObject {
  kind: OwnerKind;
  owner: OwnerRef;
  /** For a snapshot: the volume it belongs to. */
  volumeUid?: string;
  state: ObjectState;
  /** The backend's own name (file name, RBD image or `image@snap`), for logs and status. */
  id: string;
}

/** A half-built object left by a crash or an abort; never an object in its own right. */
export interface PartialObject {
  kind: OwnerKind;
  /** The UID of the object that was being created. */
  uid: string;
  id: string;
  /** When the attempt that made it started. */
  startedAt: Date;
}

export type VolumeSource =
  /** A copy-on-write clone of an Image (qcow2 backing file / RBD layered clone). */
  | { kind: 'Image'; image: OwnerRef }
  /** The data of a snapshot, independent of later changes to the snapshot's volume. */
  | { kind: 'VolumeSnapshot'; snapshot: SnapshotRef }
  /** A point-in-time copy of another (detached) volume. */
  | { kind: 'Volume'; volume: OwnerRef };

export interface CreateVolumeRequest {
  volume: OwnerRef;
  /**
   * Bytes; rounded up to a whole MiB. Zero or less is `InvalidSize`; smaller than the source
   * (image, snapshot or volume) is `InvalidSize`; larger grows the copy to this size.
   */
  sizeBytes: number;
  /** None: a blank (zeroed) volume. */
  source?: VolumeSource;
}

export interface VolumeInfo {
  owner: OwnerRef;
  id: string;
  virtualSizeBytes: number;
  /** Bytes the pool really holds for this volume (sparse and shared blocks not counted). */
  allocatedBytes: number;
  format: DiskFormat;
  /** The image or snapshot this volume still shares blocks with, if any. */
  parent?: { kind: 'Image' | 'VolumeSnapshot'; uid: string };
  /**
   * The Image the volume's data were last made from: cloned from it at creation, or reimaged
   * from it since. Kept when the image is deleted (the volume no longer shares its blocks).
   */
  image?: OwnerRef;
}

export interface SnapshotInfo {
  owner: SnapshotRef;
  id: string;
  /** The volume's virtual size when the snapshot was taken. */
  sizeBytes: number;
  createdAt: Date;
}

export interface DeleteVolumeOptions {
  /**
   * `refuse` (default): a volume with snapshots is not deleted (`HasSnapshots`).
   * `delete`: its snapshots are deleted with it, keeping volumes made from them intact.
   */
  snapshots?: 'refuse' | 'delete';
}

export type ImageSource =
  /** Streamed with fetch; http and https only. */
  | { kind: 'Url'; url: string }
  /** A file on this host, under one of the pool's allowed import directories. */
  | { kind: 'File'; path: string }
  /** The current data of a (detached) volume of this pool. */
  | { kind: 'Volume'; volume: OwnerRef };

export interface ImportImageRequest {
  image: OwnerRef;
  source: ImageSource;
  /** What the caller says the format is; refused (`FormatMismatch`) if the image is another. */
  format?: DiskFormat;
  /** Hex sha256 of the source bytes; refused (`ChecksumMismatch`) if they differ. */
  sha256?: string;
}

export interface ImageInfo {
  owner: OwnerRef;
  id: string;
  virtualSizeBytes: number;
  /**
   * The source's format, from its own signature and checked by qemu-img, never from the
   * caller (the pool stores its native format).
   */
  sourceFormat: DiskFormat;
  /** Hex sha256 of the source bytes (for a Volume source, of the stored image's data). */
  sha256: string;
}

/**
 * How QEMU opens a volume: the `-blockdev` / QMP `blockdev-add` options (node names aside),
 * with credentials only as paths, never as values.
 */
export type BlockdevOptions = Record<string, unknown>;

/** Where a volume is on its host: a file of a file pool, or an image of an RBD pool. */
export type AttachTarget =
  | { file: { path: string; format: DiskFormat } }
  | { rbd: { pool: string; image: string; user: string; conf: string } };

export interface StorageBackend {
  /** `file` or `rbd` (later `csi`): what the pool is, for status and logs. */
  readonly type: string;
  readonly nativeFormat: DiskFormat;

  /** `PoolUnreachable` when the pool cannot be reached; total and available bytes. */
  capacity(signal?: AbortSignal): Promise<PoolCapacity>;
  /** Every volume, snapshot and image in the pool with its owner, in any state. */
  listObjects(signal?: AbortSignal): Promise<OwnedObject[]>;
  /** Half-built objects (crash or abort leftovers). */
  listPartials(signal?: AbortSignal): Promise<PartialObject[]>;
  /**
   * Removes partials whose attempt started before `olderThan` (call it with the process's start
   * time: no attempt of its own is older), and what nothing uses any more (a file pool's retired
   * images); returns their ids.
   */
  cleanupPartials(olderThan: Date, signal?: AbortSignal): Promise<string[]>;
  /**
   * Moves an object aside (never deletes it): afterwards it is `quarantined`, invisible to
   * `inspect*`, and kept with its data. Volumes cloned from a quarantined image keep reading
   * it. What is not there is no error.
   */
  quarantine(kind: OwnerKind, ref: OwnerRef | SnapshotRef, signal?: AbortSignal): Promise<void>;

  createVolume(req: CreateVolumeRequest, signal?: AbortSignal): Promise<VolumeInfo>;
  /** Undefined when the volume does not exist (a partial is not the volume). */
  inspectVolume(volume: OwnerRef, signal?: AbortSignal): Promise<VolumeInfo | undefined>;
  /** Grows to `sizeBytes` (rounded up to a MiB); smaller than now is `ShrinkRefused`. */
  growVolume(volume: OwnerRef, sizeBytes: number, signal?: AbortSignal): Promise<VolumeInfo>;
  /** Deleting what does not exist is not an error. */
  deleteVolume(volume: OwnerRef, opts?: DeleteVolumeOptions, signal?: AbortSignal): Promise<void>;

  createSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo>;
  inspectSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<SnapshotInfo | undefined>;
  /** The snapshot's volume's snapshots, oldest first. */
  listSnapshots(volume: OwnerRef, signal?: AbortSignal): Promise<SnapshotInfo[]>;
  /** Volumes made from it keep their data. Deleting what does not exist is not an error. */
  deleteSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<void>;
  /**
   * Records the snapshot's owner without taking it: the QEMU that has the volume open takes it
   * (see above). A snapshot taken so is then what `inspectSnapshot` and `deleteSnapshot` see.
   */
  recordSnapshot(snapshot: SnapshotRef, signal?: AbortSignal): Promise<void>;
  /** Whether the snapshot's owner is recorded (taken or not yet). */
  snapshotRecorded(snapshot: SnapshotRef, signal?: AbortSignal): Promise<boolean>;
  /** The volume's data (and size) become the snapshot's; its other snapshots stay. */
  revertVolume(snapshot: SnapshotRef, signal?: AbortSignal): Promise<VolumeInfo>;
  /**
   * The volume's data become a fresh copy-on-write clone of the image, as a volume created from
   * it; its owner and size stay (the clone is grown to the volume's size). The new clone is
   * built aside and replaces the old data at once: a crash or abort at any point leaves the old
   * data or the new, and calling it again ends with the new. An image larger than the volume is
   * `InvalidSize`; a volume with snapshots is `HasSnapshots` (they live in its data, which is
   * replaced); an open volume is `Busy`.
   */
  reimageVolume(volume: OwnerRef, image: OwnerRef, signal?: AbortSignal): Promise<VolumeInfo>;

  importImage(req: ImportImageRequest, signal?: AbortSignal): Promise<ImageInfo>;
  inspectImage(image: OwnerRef, signal?: AbortSignal): Promise<ImageInfo | undefined>;
  /** Volumes cloned from it keep their data. Deleting what does not exist is not an error. */
  deleteImage(image: OwnerRef, signal?: AbortSignal): Promise<void>;

  /** How QEMU opens the volume (pure: no I/O). */
  blockdev(volume: OwnerRef): BlockdevOptions;
  /** The same, as a VolumeAttachment reports it (pure: no I/O). */
  attachTarget(volume: OwnerRef): AttachTarget;
  /**
   * Cuts off every client that has the volume open, for good (a hypervisor on a fenced host
   * that may still be running): what they write from then on is refused by the storage.
   * Resolves with the clients cut off. Pools whose clients cannot be told apart by the
   * storage (file pools, where QEMU's own image lock refuses a second writer) cut off none.
   */
  fenceClients(volume: OwnerRef, signal?: AbortSignal): Promise<string[]>;
}
