// The pools of simulated hosts (kcloud-agent --simulate=N): every StoragePool is reachable and
// answers at once from memory, so the control plane can be measured with thousands of hosts
// and volumes without any disk. A benchmark device only: nothing is stored, and a restart
// forgets everything (the objects are then made again, instantly).
import type { StoragePoolObject } from '../api/index.ts';
import {
  StorageError,
  type AttachTarget,
  type BlockdevOptions,
  type CreateVolumeRequest,
  type ImageInfo,
  type ImportImageRequest,
  type OwnedObject,
  type OwnerRef,
  type PartialObject,
  type PoolCapacity,
  type SnapshotInfo,
  type SnapshotRef,
  type StorageBackend,
  type VolumeInfo,
} from '../backend/index.ts';
import type { PoolBackends } from './pool-backends.ts';

const TiB = 1024 ** 4;

/** One simulated pool: objects by UID, in memory. */
export class SimulatedPool implements StorageBackend {
  readonly type = 'simulated';
  readonly nativeFormat = 'raw';
  private readonly volumes = new Map<string, VolumeInfo>();
  private readonly snapshots = new Map<string, SnapshotInfo>();
  private readonly images = new Map<string, ImageInfo>();

  capacity(): Promise<PoolCapacity> {
    return Promise.resolve({ totalBytes: 100 * TiB, availableBytes: 100 * TiB });
  }

  listObjects(): Promise<OwnedObject[]> {
    const of = (kind: OwnedObject['kind'], owner: OwnerRef, id: string): OwnedObject => ({
      kind,
      owner,
      id,
      state: 'active',
    });
    return Promise.resolve([
      ...[...this.volumes.values()].map((v) => of('Volume', v.owner, v.id)),
      ...[...this.snapshots.values()].map((s) => ({
        ...of('VolumeSnapshot', s.owner, s.id),
        volumeUid: s.owner.volumeUid,
      })),
      ...[...this.images.values()].map((i) => of('Image', i.owner, i.id)),
    ]);
  }

  listPartials(): Promise<PartialObject[]> {
    return Promise.resolve([]);
  }

  cleanupPartials(): Promise<string[]> {
    return Promise.resolve([]);
  }

  quarantine(): Promise<void> {
    return Promise.resolve();
  }

  createVolume(req: CreateVolumeRequest): Promise<VolumeInfo> {
    const info: VolumeInfo = {
      owner: req.volume,
      id: `sim-vol-${req.volume.uid}`,
      virtualSizeBytes: req.sizeBytes,
      allocatedBytes: 0,
      format: 'raw',
      ...(req.source?.kind === 'Image'
        ? { parent: { kind: 'Image', uid: req.source.image.uid }, image: req.source.image }
        : {}),
    };
    const existing = this.volumes.get(req.volume.uid);
    if (existing) return Promise.resolve(existing);
    this.volumes.set(req.volume.uid, info);
    return Promise.resolve(info);
  }

  inspectVolume(volume: OwnerRef): Promise<VolumeInfo | undefined> {
    return Promise.resolve(this.volumes.get(volume.uid));
  }

  growVolume(volume: OwnerRef, sizeBytes: number): Promise<VolumeInfo> {
    const info = this.volumes.get(volume.uid);
    if (!info)
      return Promise.reject(
        new StorageError('NotFound', `volume ${volume.name} is not in the pool`),
      );
    if (sizeBytes < info.virtualSizeBytes) {
      return Promise.reject(new StorageError('ShrinkRefused', 'volumes only grow'));
    }
    const grown = { ...info, virtualSizeBytes: sizeBytes };
    this.volumes.set(volume.uid, grown);
    return Promise.resolve(grown);
  }

  deleteVolume(volume: OwnerRef): Promise<void> {
    this.volumes.delete(volume.uid);
    return Promise.resolve();
  }

  createSnapshot(snapshot: SnapshotRef): Promise<SnapshotInfo> {
    const volume = this.volumes.get(snapshot.volumeUid);
    if (!volume)
      return Promise.reject(new StorageError('NotFound', 'the volume is not in the pool'));
    const info: SnapshotInfo = {
      owner: snapshot,
      id: `sim-snap-${snapshot.uid}`,
      sizeBytes: volume.virtualSizeBytes,
      createdAt: new Date(),
    };
    if (!this.snapshots.has(snapshot.uid)) this.snapshots.set(snapshot.uid, info);
    return Promise.resolve(this.snapshots.get(snapshot.uid) ?? info);
  }

  inspectSnapshot(snapshot: SnapshotRef): Promise<SnapshotInfo | undefined> {
    return Promise.resolve(this.snapshots.get(snapshot.uid));
  }

  listSnapshots(volume: OwnerRef): Promise<SnapshotInfo[]> {
    return Promise.resolve(
      [...this.snapshots.values()].filter((s) => s.owner.volumeUid === volume.uid),
    );
  }

  deleteSnapshot(snapshot: SnapshotRef): Promise<void> {
    this.snapshots.delete(snapshot.uid);
    return Promise.resolve();
  }

  recordSnapshot(): Promise<void> {
    return Promise.resolve();
  }

  snapshotRecorded(snapshot: SnapshotRef): Promise<boolean> {
    return Promise.resolve(this.snapshots.has(snapshot.uid));
  }

  revertVolume(snapshot: SnapshotRef): Promise<VolumeInfo> {
    const volume = this.volumes.get(snapshot.volumeUid);
    if (!volume)
      return Promise.reject(new StorageError('NotFound', 'the volume is not in the pool'));
    return Promise.resolve(volume);
  }

  reimageVolume(volume: OwnerRef, image: OwnerRef): Promise<VolumeInfo> {
    const info = this.volumes.get(volume.uid);
    if (!info)
      return Promise.reject(
        new StorageError('NotFound', `volume ${volume.name} is not in the pool`),
      );
    if ([...this.snapshots.values()].some((s) => s.owner.volumeUid === volume.uid)) {
      return Promise.reject(new StorageError('HasSnapshots', 'delete its VolumeSnapshots first'));
    }
    const imageBytes = this.images.get(image.uid)?.virtualSizeBytes ?? 0;
    if (imageBytes > info.virtualSizeBytes) {
      return Promise.reject(new StorageError('InvalidSize', 'grow the volume first'));
    }
    const reimaged: VolumeInfo = {
      ...info,
      allocatedBytes: 0,
      parent: { kind: 'Image', uid: image.uid },
      image,
    };
    this.volumes.set(volume.uid, reimaged);
    return Promise.resolve(reimaged);
  }

  importImage(req: ImportImageRequest): Promise<ImageInfo> {
    const info: ImageInfo = {
      owner: req.image,
      id: `sim-img-${req.image.uid}`,
      virtualSizeBytes: 1024 ** 3,
      sourceFormat: req.format ?? 'qcow2',
      sha256: req.sha256 ?? '0'.repeat(64),
    };
    if (!this.images.has(req.image.uid)) this.images.set(req.image.uid, info);
    return Promise.resolve(this.images.get(req.image.uid) ?? info);
  }

  inspectImage(image: OwnerRef): Promise<ImageInfo | undefined> {
    return Promise.resolve(this.images.get(image.uid));
  }

  deleteImage(image: OwnerRef): Promise<void> {
    this.images.delete(image.uid);
    return Promise.resolve();
  }

  attachTarget(volume: OwnerRef): AttachTarget {
    return { file: { path: `/simulated/vol-${volume.uid}.qcow2`, format: 'qcow2' } };
  }

  /** Nothing opens a simulated volume. */
  fenceClients(): Promise<string[]> {
    return Promise.resolve([]);
  }

  blockdev(volume: OwnerRef): BlockdevOptions {
    return { driver: 'null-co', size: this.volumes.get(volume.uid)?.virtualSizeBytes ?? 0 };
  }
}

/** Every pool of a simulating agent, one in-memory pool per StoragePool name. */
export class SimulatedPools implements PoolBackends {
  private readonly pools = new Map<string, SimulatedPool>();
  private readonly exists: (name: string) => StoragePoolObject | undefined;

  constructor(exists: (name: string) => StoragePoolObject | undefined) {
    this.exists = exists;
  }

  backendFor(name: string): Promise<StorageBackend> {
    if (!this.exists(name)) {
      return Promise.reject(
        new StorageError('PoolUnreachable', `StoragePool ${name} does not exist`),
      );
    }
    let pool = this.pools.get(name);
    if (!pool) {
      pool = new SimulatedPool();
      this.pools.set(name, pool);
    }
    return Promise.resolve(pool);
  }
}
