import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { snapshotTag } from '../../api/index.ts';
import { StorageError } from '../errors.ts';
import { toStorageError } from '../exec.ts';
import { checkUid, newAttempt, partialName } from '../naming.ts';
import {
  convertArgs,
  createArgs,
  infoArgs,
  parseQemuImgInfo,
  resizeArgs,
  snapshotArgs,
} from '../qemu-img.ts';
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
  const origin = sidecar && volumeOrigin(sidecar, info.backingFile);
  if (origin?.parentImageUid) result.parent = { kind: 'Image', uid: origin.parentImageUid };
  if (origin?.image) result.image = origin.image;
  return result;
}

/**
 * A volume's base image and Image as its data say: a reimage that replaced the data but was
 * cut off before it settled the sidecar has the new image as the data file's backing file.
 */
export function volumeOrigin(
  sidecar: Sidecar,
  backingFile: string | undefined,
): Pick<Sidecar, 'parentImageUid' | 'image'> {
  const next = sidecar.reimage;
  if (next && backingFile === dataFile('Image', next.uid)) {
    return { parentImageUid: next.uid, image: next };
  }
  return {
    ...(sidecar.parentImageUid ? { parentImageUid: sidecar.parentImageUid } : {}),
    ...(sidecar.image ? { image: sidecar.image } : {}),
  };
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
export interface Plan {
  build(target: string, signal?: AbortSignal): Promise<void>;
  parentImageUid?: string;
}

export async function plan(
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
  const parentImageUid = src.parent?.uid;
  const withParent = (p: Plan): Plan => (parentImageUid ? { ...p, parentImageUid } : p);
  const grow = async (target: string, current: number, signal?: AbortSignal) => {
    if (sizeBytes > current) {
      await ctx.qemuImg(resizeArgs(target, 'qcow2', sizeBytes), 'growing the copy', signal);
    }
  };
  if (source.kind === 'Volume') {
    const what = `volume ${from.namespace}/${from.name}`;
    checkAtLeast(sizeBytes, src.virtualSizeBytes, what);
    return withParent({
      build: async (target, signal) => {
        await ctx.locks.run(volumeKey(from.uid), () =>
          ctx.qemuImg(
            convertArgs({
              source: ctx.pool.path(srcFile),
              sourceFormat: 'qcow2',
              target,
              targetFormat: 'qcow2',
              // Only what the volume wrote is copied; the image stays shared.
              ...(parentImageUid
                ? { backing: { file: dataFile('Image', parentImageUid), format: 'qcow2' } }
                : {}),
            }),
            `copying ${what}`,
            signal,
          ),
        );
        await grow(target, src.virtualSizeBytes, signal);
      },
    });
  }
  const snap = source.snapshot;
  const tag = snapshotTag(checkUid(snap.uid));
  const what = `snapshot ${snap.namespace}/${snap.name}`;
  if (!(await ctx.info(srcFile)).snapshots.some((t) => t.name === tag)) {
    throw new StorageError(
      'NotFound',
      `snapshot ${snap.namespace}/${snap.name} (${snap.uid}) is not in pool ${ctx.pool.dir}`,
    );
  }
  const snapSize =
    (await ctx.pool.readSidecar(sidecarFile('VolumeSnapshot', snap.uid)))?.sizeBytes ??
    src.virtualSizeBytes;
  checkAtLeast(sizeBytes, snapSize, what);
  return withParent({
    // A copy of the whole file with the snapshot applied and every snapshot then dropped: the
    // snapshot's data and size exactly (qemu-img convert -l reads a snapshot at the volume's
    // current size, which loses data when the volume was reverted to a smaller snapshot).
    build: async (target, signal) => {
      if (await openElsewhere(ctx, srcFile, signal)) {
        // A running VM writes the file: a byte copy would be torn. The snapshot's own clusters
        // stay as they are while it exists, so it is read in place, at the volume's size.
        if (src.virtualSizeBytes !== snapSize) {
          throw new StorageError(
            'Busy',
            `${what} is of another size than its volume now, which a running instance has open: stop the instance to make a volume from it`,
          );
        }
        await ctx.qemuImg(
          convertArgs({
            source: ctx.pool.path(srcFile),
            sourceFormat: 'qcow2',
            sourceSnapshot: tag,
            forceShare: true,
            target,
            targetFormat: 'qcow2',
            ...(parentImageUid
              ? { backing: { file: dataFile('Image', parentImageUid), format: 'qcow2' } }
              : {}),
          }),
          `reading ${what} of a volume in use`,
          signal,
        );
        await grow(target, snapSize, signal);
        return;
      }
      await ctx.locks.run(volumeKey(from.uid), () =>
        copyFile(ctx.pool.path(srcFile), target, signal),
      );
      await ctx.qemuImg(snapshotArgs('apply', tag, target), `reading ${what}`, signal);
      const copied = parseQemuImgInfo(
        await ctx.qemuImg(infoArgs(target, { format: 'qcow2' }), 'reading the copy', signal),
      );
      for (const other of copied.snapshots) {
        await ctx.qemuImg(
          snapshotArgs('delete', other.name, target),
          'dropping snapshots from the copy',
          signal,
        );
      }
      await grow(target, copied.virtualSizeBytes, signal);
    },
  });
}

/** Whether another process (a running VM's QEMU) holds the file's write lock. */
async function openElsewhere(ctx: FileContext, file: string, signal?: AbortSignal) {
  try {
    await ctx.info(file, signal, false);
    return false;
  } catch (err) {
    if (err instanceof StorageError && err.reason === 'Busy') return true;
    throw err;
  }
}

/** A plain byte copy that an abort stops. */
async function copyFile(from: string, to: string, signal?: AbortSignal): Promise<void> {
  try {
    await pipeline(createReadStream(from), createWriteStream(to, { flags: 'wx', mode: 0o600 }), {
      signal,
    });
  } catch (err) {
    throw toStorageError(err, 'copying the volume file');
  }
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
    if (req.source?.kind === 'Image') sidecar.image = req.source.image;
    await ctx.pool.writeSidecar(sidecarFile('Volume', uid), sidecar, attempt);
    const final = dataFile('Volume', uid);
    const partial = partialName(final, attempt);
    try {
      await how.build(ctx.pool.path(partial), signal);
    } catch (err) {
      // Nothing was published: this attempt's files go (a crash leaves them to the next one).
      await ctx.pool.remove(partial);
      await ctx.pool.remove(sidecarFile('Volume', uid));
      throw err;
    }
    if (!(await ctx.publish(partial, final))) return mustInspect(ctx, req.volume, signal);
    // Published by this call: its size is the size asked for (every build grows to it), and
    // no second qemu-img run is needed to say so.
    const made: VolumeInfo = {
      owner: req.volume,
      id: final,
      virtualSizeBytes: sizeBytes,
      allocatedBytes: (await stat(ctx.pool.path(final))).blocks * 512,
      format: 'qcow2',
    };
    if (how.parentImageUid) made.parent = { kind: 'Image', uid: how.parentImageUid };
    if (sidecar.image) made.image = sidecar.image;
    return made;
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
  let reimageUid: string | undefined;
  await ctx.locks.run(volumeKey(uid), async () => {
    const file = dataFile('Volume', uid);
    const sidecar = await ctx.pool.readSidecar(sidecarFile('Volume', uid));
    parentImageUid = sidecar?.parentImageUid;
    // A reimage cut off before it settled counts its image as used too.
    reimageUid = sidecar?.reimage?.uid;
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
        reimageUid = undefined;
        return;
      }
      await ctx.pool.remove(file);
    }
    await ctx.pool.remove(sidecarFile('Volume', uid));
    for (const m of mine.filter((m) => !m.quarantined)) await ctx.pool.remove(m.file);
    await ctx.pool.syncDir();
  });
  if (parentImageUid) await collectRetiredImage(ctx, parentImageUid);
  if (reimageUid && reimageUid !== parentImageUid) await collectRetiredImage(ctx, reimageUid);
}
