import { StorageError } from '../errors.ts';
import { volumeKey } from '../keyed-lock.ts';
import { checkUid, objectName } from '../naming.ts';
import type { OwnerRef, SnapshotInfo, SnapshotRef, VolumeInfo } from '../storage-backend.ts';
import type { RbdSnapshot } from './rbd-cli.ts';
import type { RbdContext } from './rbd-context.ts';
import { readOwner, snapKey } from './rbd-objects.ts';
import { inspectVolume } from './rbd-volumes.ts';

/**
 * Snapshots of an RBD pool are RBD snapshots `snap-<uid>` of their volume's image, owners in
 * the volume's image-meta. A volume made from one is a clone of it (protected on first use);
 * deleting it flattens those clones first, so they keep their data.
 */

function names(snap: SnapshotRef) {
  return {
    volume: objectName('Volume', checkUid(snap.volumeUid)),
    snap: objectName('VolumeSnapshot', checkUid(snap.uid)),
  };
}

function toInfo(volume: string, s: RbdSnapshot, owner: OwnerRef, volumeUid: string): SnapshotInfo {
  return {
    owner: { ...owner, volumeUid },
    id: `${volume}@${s.name}`,
    sizeBytes: s.sizeBytes,
    createdAt: s.createdAt,
  };
}

async function find(ctx: RbdContext, ref: SnapshotRef, signal?: AbortSignal) {
  const n = names(ref);
  if (!(await ctx.info(n.volume, signal))) return undefined;
  const snap = (await ctx.snapshots(n.volume, signal)).find((s) => s.name === n.snap);
  return snap ? { ...n, snapshot: snap } : undefined;
}

export async function inspectSnapshot(
  ctx: RbdContext,
  ref: SnapshotRef,
  signal?: AbortSignal,
): Promise<SnapshotInfo | undefined> {
  const found = await find(ctx, ref, signal);
  if (!found) return undefined;
  const owner = readOwner(await ctx.meta(found.volume, signal), snapKey(ref.uid)) ?? ref;
  return toInfo(found.volume, found.snapshot, owner, ref.volumeUid);
}

async function writeOwner(ctx: RbdContext, ref: SnapshotRef, signal?: AbortSignal) {
  await ctx.setMeta(
    names(ref).volume,
    snapKey(ref.uid),
    JSON.stringify({
      namespace: ref.namespace,
      name: ref.name,
      uid: ref.uid,
      createdAt: new Date().toISOString(),
    }),
    signal,
  );
}

/** The snapshot's volume must be in the pool: NotFound, naming the snapshot, when not. */
async function requireVolume(
  ctx: RbdContext,
  ref: SnapshotRef,
  volume: string,
  signal?: AbortSignal,
): Promise<void> {
  if (!(await ctx.info(volume, signal))) {
    throw new StorageError(
      'NotFound',
      `the volume of snapshot ${ref.namespace}/${ref.name} (${ref.volumeUid}) is not in RBD pool ${ctx.conn.pool}`,
    );
  }
}

export async function createSnapshot(
  ctx: RbdContext,
  ref: SnapshotRef,
  signal?: AbortSignal,
): Promise<SnapshotInfo> {
  const n = names(ref);
  return ctx.locks.run(volumeKey(ref.volumeUid), async () => {
    await requireVolume(ctx, ref, n.volume, signal);
    if (!(await ctx.snapshots(n.volume, signal)).some((s) => s.name === n.snap)) {
      // The owner first: a snapshot without one could not be told apart from a stray.
      await writeOwner(ctx, ref, signal);
      await ctx.rbd(['snap', 'create', ctx.spec(n.volume, n.snap)], 'taking the snapshot', signal);
    }
    const info = await inspectSnapshot(ctx, ref, signal);
    if (!info)
      throw new StorageError('NotFound', `snapshot ${ref.name} vanished after it was taken`);
    return info;
  });
}

export async function recordSnapshot(
  ctx: RbdContext,
  ref: SnapshotRef,
  signal?: AbortSignal,
): Promise<void> {
  const n = names(ref);
  await ctx.locks.run(volumeKey(ref.volumeUid), async () => {
    await requireVolume(ctx, ref, n.volume, signal);
    if (!(await snapshotRecorded(ctx, ref, signal))) await writeOwner(ctx, ref, signal);
  });
}

export async function snapshotRecorded(
  ctx: RbdContext,
  ref: SnapshotRef,
  signal?: AbortSignal,
): Promise<boolean> {
  const n = names(ref);
  if (!(await ctx.info(n.volume, signal))) return false;
  return readOwner(await ctx.meta(n.volume, signal), snapKey(ref.uid)) !== undefined;
}

export async function listSnapshots(
  ctx: RbdContext,
  volume: OwnerRef,
  signal?: AbortSignal,
): Promise<SnapshotInfo[]> {
  const name = objectName('Volume', checkUid(volume.uid));
  if (!(await ctx.info(name, signal))) return [];
  const meta = await ctx.meta(name, signal);
  // `rbd snap ls` lists in creation order (by snapshot id).
  return (await ctx.snapshots(name, signal)).flatMap((s) => {
    if (!s.name.startsWith('snap-')) return [];
    const owner = readOwner(meta, snapKey(s.name.slice('snap-'.length)));
    return owner ? [toInfo(name, s, owner, volume.uid)] : [];
  });
}

export async function deleteSnapshot(
  ctx: RbdContext,
  ref: SnapshotRef,
  signal?: AbortSignal,
): Promise<void> {
  const n = names(ref);
  await ctx.locks.run(volumeKey(ref.volumeUid), async () => {
    if (!(await ctx.info(n.volume, signal))) return;
    await ctx.removeSnapshot(n.volume, n.snap, signal);
    await ctx.removeMeta(n.volume, snapKey(ref.uid), signal);
  });
}

export async function revertVolume(
  ctx: RbdContext,
  ref: SnapshotRef,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  return ctx.locks.run(volumeKey(ref.volumeUid), async () => {
    const found = await find(ctx, ref, signal);
    if (!found) {
      throw new StorageError(
        'NotFound',
        `snapshot ${ref.namespace}/${ref.name} (${ref.uid}) is not in RBD pool ${ctx.conn.pool}`,
      );
    }
    // A rollback under a running guest would change its disk behind its back.
    await ctx.refuseIfOpen(found.volume, `reverting volume to ${ref.name}`, signal);
    await ctx.rbd(
      ['snap', 'rollback', ctx.spec(found.volume, found.snap)],
      'reverting the volume',
      signal,
    );
    const volume = await inspectVolume(ctx, { ...ref, uid: ref.volumeUid }, signal);
    if (!volume) throw new StorageError('NotFound', `the volume of snapshot ${ref.name} vanished`);
    return volume;
  });
}
