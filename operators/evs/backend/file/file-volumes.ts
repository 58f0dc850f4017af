import { StorageError } from '../errors.ts';
import { checkUid, newAttempt, partialName } from '../naming.ts';
import { convertArgs, createArgs, resizeArgs, snapshotArgs } from '../qemu-img.ts';
import { checkAtLeast, checkGrow, roundUpToMiB } from '../sizes.ts';
import type {
  CreateVolumeRequest,
  DeleteVolumeOptions,
  OwnerRef,
  VolumeInfo,
  VolumeSource,
} from '../storage-backend.ts';
import type { FileContext } from './file-context.ts';
import { dataFile, sidecarFile, type Sidecar } from './file-layout.ts';
import {
  cleanupPartials,
  collectRetiredImage,
  moveVolumeAside,
  volumeKey,
} from './file-objects.ts';
import { activeImage } from './file-images.ts';

/**
 * Volumes of a file pool. What a volume shares, and so what deleting a source can never harm:
 * - from an Image: a qcow2 overlay whose backing file is the image (relative name, same
 *   directory). Images are read-only and kept (retired) while any volume uses them.
 * - from a VolumeSnapshot or another Volume: a full sparse copy of the data (qemu-img
 *   convert), keeping only the source's image as backing file. So a snapshot or a volume can
 *   always be deleted without touching the volumes made from it.
 */

export async function inspectVolume(
  ctx: FileContext,
  volume: OwnerRef,
  signal?: AbortSignal,
): Promise<VolumeInfo | undefined> {
  const file = dataFile('Volume', checkUid(volume.uid));
  if (!(await ctx.pool.exists(file))) return undefined;
  const sidecar = await ctx.pool.readSidecar(sidecarFile('Volume', volume.uid));
  const info = await ctx.info(file, signal);
  const result: VolumeInfo = {
    owner: sidecar?.owner ?? volume,
    id: file,
    virtualSizeBytes: info.virtualSizeBytes,
    allocatedBytes: info.actualSizeBytes,
    format: 'qcow2',
  };
  if (sidecar?.parentImageUid) result.parent = { kind: 'Image', uid: sidecar.parentImageUid };
  return result;
}

async function mustInspect(ctx: FileContext, volume: OwnerRef, signal?: AbortSignal) {
  const info = await inspectVolume(ctx, volume, signal);
  if (!info) {
    throw new StorageError(
      'NotFound',
      `volume ${volume.namespace}/${volume.name} (${volume.uid}) is not in pool ${ctx.pool.dir}`,
    );
  }
  return info;
}

/** How to build one volume's data into a partial file, and what it will share. */
interface Plan {
  build(target: string, signal?: AbortSignal): Promise<void>;
  parentImageUid?: string;
}

async function plan(
  ctx: FileContext,
  source: VolumeSource | undefined,
  sizeBytes: number,
): Promise<Plan> {
  if (!source) {
    return {
      build: async (target, signal) => {
        await ctx.qemuImg(
          createArgs({ target, format: 'qcow2', sizeBytes }),
          'creating a blank volume',
          signal,
        );
      },
    };
  }
  if (source.kind === 'Image') {
    const image = await activeImage(ctx, source.image);
    checkAtLeast(
      sizeBytes,
      image.virtualSizeBytes,
      `image ${source.image.namespace}/${source.image.name}`,
    );
    const backing = { file: dataFile('Image', image.owner.uid), format: 'qcow2' as const };
    return {
      parentImageUid: image.owner.uid,
      build: async (target, signal) => {
        await ctx.qemuImg(
          createArgs({ target, format: 'qcow2', sizeBytes, backing }),
          'cloning the image',
          signal,
        );
      },
    };
  }
  const from =
    source.kind === 'Volume'
      ? source.volume
      : { ...source.snapshot, uid: source.snapshot.volumeUid };
  const srcFile = dataFile('Volume', checkUid(from.uid));
  const src = await mustInspect(ctx, from);
  let sourceSnapshot: string | undefined;
  let sourceSize = src.virtualSizeBytes;
  let what = `volume ${from.namespace}/${from.name}`;
  if (source.kind === 'VolumeSnapshot') {
    const snap = source.snapshot;
    sourceSnapshot = `snap-${checkUid(snap.uid)}`;
    const tags = (await ctx.info(srcFile)).snapshots;
    if (!tags.some((t) => t.name === sourceSnapshot)) {
      throw new StorageError(
        'NotFound',
        `snapshot ${snap.namespace}/${snap.name} (${snap.uid}) is not in pool ${ctx.pool.dir}`,
      );
    }
    const sidecar = await ctx.pool.readSidecar(sidecarFile('VolumeSnapshot', snap.uid));
    sourceSize = sidecar?.sizeBytes ?? sourceSize;
    what = `snapshot ${snap.namespace}/${snap.name}`;
  }
  checkAtLeast(sizeBytes, sourceSize, what);
  const parentImageUid = src.parent?.uid;
  const result: Plan = {
    build: async (target, signal) => {
      await ctx.locks.run(volumeKey(from.uid), () =>
        ctx.qemuImg(
          convertArgs({
            source: ctx.pool.path(srcFile),
            sourceFormat: 'qcow2',
            ...(sourceSnapshot ? { sourceSnapshot } : {}),
            target,
            targetFormat: 'qcow2',
            ...(parentImageUid
              ? { backing: { file: dataFile('Image', parentImageUid), format: 'qcow2' } }
              : {}),
          }),
          `copying ${what}`,
          signal,
        ),
      );
      if (sizeBytes > sourceSize) {
        await ctx.qemuImg(resizeArgs(target, 'qcow2', sizeBytes), 'growing the copy', signal);
      }
    },
  };
  if (parentImageUid) result.parentImageUid = parentImageUid;
  return result;
}

export async function createVolume(
  ctx: FileContext,
  req: CreateVolumeRequest,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  const uid = checkUid(req.volume.uid);
  return ctx.locks.run(volumeKey(uid), async () => {
    const existing = await inspectVolume(ctx, req.volume, signal);
    if (existing) return existing;
    const attempt = newAttempt();
    await cleanupPartials(ctx, attempt.startedAt, { uid, locked: true });
    const sizeBytes = roundUpToMiB(req.sizeBytes);
    const how = await plan(ctx, req.source, sizeBytes);
    // The sidecar first: from now on the image this volume will use counts it as a user.
    const sidecar: Sidecar = {
      kind: 'Volume',
      owner: req.volume,
      createdAt: attempt.startedAt.toISOString(),
    };
    if (how.parentImageUid) sidecar.parentImageUid = how.parentImageUid;
    await ctx.pool.writeSidecar(sidecarFile('Volume', uid), sidecar, attempt);
    const final = dataFile('Volume', uid);
    const partial = partialName(final, attempt);
    try {
      await how.build(ctx.pool.path(partial), signal);
    } catch (err) {
      await ctx.pool.remove(partial);
      throw err;
    }
    await ctx.publish(partial, final);
    return mustInspect(ctx, req.volume, signal);
  });
}

export async function growVolume(
  ctx: FileContext,
  volume: OwnerRef,
  sizeBytes: number,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  return ctx.locks.run(volumeKey(checkUid(volume.uid)), async () => {
    const now = await mustInspect(ctx, volume, signal);
    checkGrow(now.virtualSizeBytes, sizeBytes, `volume ${volume.namespace}/${volume.name}`);
    const wanted = roundUpToMiB(sizeBytes);
    if (wanted === now.virtualSizeBytes) return now;
    await ctx.qemuImg(
      resizeArgs(ctx.pool.path(now.id), 'qcow2', wanted),
      'growing the volume',
      signal,
    );
    return mustInspect(ctx, volume, signal);
  });
}

export async function deleteVolume(
  ctx: FileContext,
  volume: OwnerRef,
  opts: DeleteVolumeOptions = {},
  signal?: AbortSignal,
): Promise<void> {
  const uid = checkUid(volume.uid);
  let parentImageUid: string | undefined;
  await ctx.locks.run(volumeKey(uid), async () => {
    const file = dataFile('Volume', uid);
    const sidecar = await ctx.pool.readSidecar(sidecarFile('Volume', uid));
    parentImageUid = sidecar?.parentImageUid;
    const snapshotSidecars = (await ctx.pool.entries()).filter(
      (e) => e.kind === 'VolumeSnapshot' && e.role === 'sidecar' && !e.partial,
    );
    const mine: { file: string; quarantined: boolean; tag: string }[] = [];
    for (const entry of snapshotSidecars) {
      const s = await ctx.pool.readSidecar(entry.file);
      if (s?.volumeUid === uid)
        mine.push({
          file: entry.file,
          quarantined: !!entry.quarantinedAt,
          tag: `snap-${entry.uid}`,
        });
    }
    if (await ctx.pool.exists(file)) {
      // Without --force-share: a QEMU that has the volume open makes this fail (Busy), so a
      // volume in use is never unlinked under a running guest.
      const tags = (await ctx.info(file, signal, false)).snapshots.map((s) => s.name);
      if (tags.length > 0 && opts.snapshots !== 'delete') {
        throw new StorageError(
          'HasSnapshots',
          `volume ${volume.namespace}/${volume.name} has ${String(tags.length)} snapshot(s); delete them first`,
        );
      }
      const kept = mine.filter((m) => m.quarantined && tags.includes(m.tag));
      if (kept.length > 0) {
        // A quarantined snapshot lives inside this file: the file is moved aside, not lost.
        for (const tag of tags.filter((t) => !kept.some((k) => k.tag === t))) {
          await ctx.qemuImg(
            snapshotArgs('delete', tag, ctx.pool.path(file)),
            `deleting snapshot ${tag}`,
            signal,
          );
        }
        for (const m of mine.filter((m) => !m.quarantined)) await ctx.pool.remove(m.file);
        await moveVolumeAside(ctx, uid);
        parentImageUid = undefined;
        return;
      }
      await ctx.pool.remove(file);
    }
    await ctx.pool.remove(sidecarFile('Volume', uid));
    for (const m of mine.filter((m) => !m.quarantined)) await ctx.pool.remove(m.file);
    await ctx.pool.syncDir();
  });
  if (parentImageUid) await collectRetiredImage(ctx, parentImageUid);
}
