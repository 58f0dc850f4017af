import { snapshotTag } from '../../api/index.ts';
import { StorageError } from '../errors.ts';
import { checkUid, newAttempt } from '../naming.ts';
import { snapshotArgs } from '../qemu-img.ts';
import type { OwnerRef, SnapshotInfo, SnapshotRef, VolumeInfo } from '../storage-backend.ts';
import type { FileContext } from './file-context.ts';
import { dataFile, sidecarFile } from './file-layout.ts';
import { volumeKey } from './file-objects.ts';
import { inspectVolume } from './file-volumes.ts';

/**
 * Snapshots of a file pool are internal qcow2 snapshots (`snap-<uid>`) of their volume's file:
 * taking one copies nothing, a chain of them is just several tags, and reverting applies one
 * in place, keeping the others. Volumes made from a snapshot are full copies (see
 * file-volumes.ts), so deleting a snapshot never touches another volume's data.
 */

const tagOf = (uid: string) => snapshotTag(checkUid(uid));

async function tags(ctx: FileContext, volumeUid: string, signal?: AbortSignal, forceShare = true) {
  const file = dataFile('Volume', checkUid(volumeUid));
  if (!(await ctx.pool.exists(file))) return undefined;
  return (await ctx.info(file, signal, forceShare)).snapshots;
}

function notFound(what: string, ref: OwnerRef, dir: string): StorageError {
  return new StorageError(
    'NotFound',
    `${what} ${ref.namespace}/${ref.name} (${ref.uid}) is not in pool ${dir}`,
  );
}

async function inspect(ctx: FileContext, snap: SnapshotRef, signal?: AbortSignal) {
  const found = (await tags(ctx, snap.volumeUid, signal))?.find((t) => t.name === tagOf(snap.uid));
  const sidecar = await ctx.pool.readSidecar(sidecarFile('VolumeSnapshot', snap.uid));
  if (!found || !sidecar) return undefined;
  const info: SnapshotInfo = {
    owner: { ...sidecar.owner, volumeUid: snap.volumeUid },
    id: `${dataFile('Volume', snap.volumeUid)}@${found.name}`,
    sizeBytes: sidecar.sizeBytes ?? 0,
    createdAt: found.createdAt,
  };
  return info;
}

export function inspectSnapshot(ctx: FileContext, snap: SnapshotRef, signal?: AbortSignal) {
  return inspect(ctx, snap, signal);
}

/** The sidecar that owns tag `snap-<uid>`, written before the tag exists (else a stray). */
async function writeOwner(ctx: FileContext, snap: SnapshotRef, signal?: AbortSignal) {
  const attempt = newAttempt();
  const { virtualSizeBytes } = await ctx.info(dataFile('Volume', snap.volumeUid), signal);
  await ctx.pool.writeSidecar(
    sidecarFile('VolumeSnapshot', snap.uid),
    {
      kind: 'VolumeSnapshot',
      owner: { namespace: snap.namespace, name: snap.name, uid: snap.uid },
      volumeUid: snap.volumeUid,
      sizeBytes: virtualSizeBytes,
      createdAt: attempt.startedAt.toISOString(),
    },
    attempt,
  );
}

export async function createSnapshot(
  ctx: FileContext,
  snap: SnapshotRef,
  signal?: AbortSignal,
): Promise<SnapshotInfo> {
  return ctx.locks.run(volumeKey(checkUid(snap.volumeUid)), async () => {
    const file = dataFile('Volume', snap.volumeUid);
    // Without --force-share: a volume a QEMU has open is Busy here (it snapshots through QMP).
    const existing = await tags(ctx, snap.volumeUid, signal, false);
    if (!existing)
      throw notFound('volume of snapshot', { ...snap, uid: snap.volumeUid }, ctx.pool.dir);
    const tag = tagOf(snap.uid);
    const sidecarName = sidecarFile('VolumeSnapshot', snap.uid);
    if (!existing.some((t) => t.name === tag) || !(await ctx.pool.readSidecar(sidecarName))) {
      // The sidecar first: a snapshot tag without one could not be told apart from a stray.
      await writeOwner(ctx, snap, signal);
      if (!existing.some((t) => t.name === tag)) {
        await ctx.qemuImg(
          snapshotArgs('create', tag, ctx.pool.path(file)),
          'taking the snapshot',
          signal,
        );
      }
    }
    const info = await inspect(ctx, snap, signal);
    if (!info) throw notFound('snapshot', snap, ctx.pool.dir);
    return info;
  });
}

export async function recordSnapshot(
  ctx: FileContext,
  snap: SnapshotRef,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.locks.run(volumeKey(checkUid(snap.volumeUid)), async () => {
    // With --force-share: the QEMU that has the volume open takes the tag, not qemu-img.
    if (!(await tags(ctx, snap.volumeUid, signal))) {
      throw notFound('volume of snapshot', { ...snap, uid: snap.volumeUid }, ctx.pool.dir);
    }
    if (!(await ctx.pool.readSidecar(sidecarFile('VolumeSnapshot', snap.uid)))) {
      await writeOwner(ctx, snap, signal);
    }
  });
}

export async function snapshotRecorded(
  ctx: FileContext,
  snap: SnapshotRef,
  _signal?: AbortSignal,
): Promise<boolean> {
  return (
    (await ctx.pool.readSidecar(sidecarFile('VolumeSnapshot', checkUid(snap.uid)))) !== undefined
  );
}

export async function listSnapshots(
  ctx: FileContext,
  volume: OwnerRef,
  signal?: AbortSignal,
): Promise<SnapshotInfo[]> {
  const all = (await tags(ctx, volume.uid, signal)) ?? [];
  const result: SnapshotInfo[] = [];
  for (const tag of all) {
    if (!tag.name.startsWith('snap-')) continue;
    const uid = tag.name.slice('snap-'.length);
    const sidecar = await ctx.pool.readSidecar(sidecarFile('VolumeSnapshot', uid));
    if (sidecar?.volumeUid !== volume.uid) continue;
    result.push({
      owner: { ...sidecar.owner, volumeUid: volume.uid },
      id: `${dataFile('Volume', volume.uid)}@${tag.name}`,
      sizeBytes: sidecar.sizeBytes ?? 0,
      createdAt: tag.createdAt,
    });
  }
  return result.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

export async function deleteSnapshot(
  ctx: FileContext,
  snap: SnapshotRef,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.locks.run(volumeKey(checkUid(snap.volumeUid)), async () => {
    const tag = tagOf(snap.uid);
    // Read with --force-share, so that a sidecar whose tag the volume's QEMU already removed
    // goes while QEMU still has the volume open; deleting a tag itself still needs the lock
    // (Busy while QEMU has the volume: QEMU deletes it then).
    if ((await tags(ctx, snap.volumeUid, signal))?.some((t) => t.name === tag)) {
      await ctx.qemuImg(
        snapshotArgs('delete', tag, ctx.pool.path(dataFile('Volume', snap.volumeUid))),
        'deleting the snapshot',
        signal,
      );
    }
    await ctx.pool.remove(sidecarFile('VolumeSnapshot', snap.uid));
  });
}

export async function revertVolume(
  ctx: FileContext,
  snap: SnapshotRef,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  return ctx.locks.run(volumeKey(checkUid(snap.volumeUid)), async () => {
    if (!(await inspect(ctx, snap, signal))) throw notFound('snapshot', snap, ctx.pool.dir);
    // Applying twice is harmless: a revert retried after a crash converges.
    await ctx.qemuImg(
      snapshotArgs('apply', tagOf(snap.uid), ctx.pool.path(dataFile('Volume', snap.volumeUid))),
      'reverting the volume',
      signal,
    );
    const volume = await inspectVolume(ctx, { ...snap, uid: snap.volumeUid }, signal);
    if (!volume)
      throw notFound('volume of snapshot', { ...snap, uid: snap.volumeUid }, ctx.pool.dir);
    return volume;
  });
}
