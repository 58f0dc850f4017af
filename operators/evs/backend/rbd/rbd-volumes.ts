import { StorageError } from '../errors.ts';
import { volumeKey } from '../keyed-lock.ts';
import {
  checkUid,
  newAttempt,
  objectName,
  parseObjectName,
  partialName,
  quarantineName,
} from '../naming.ts';
import { checkAtLeast, checkGrow, MiB, roundUpToMiB } from '../sizes.ts';
import type {
  CreateVolumeRequest,
  DeleteVolumeOptions,
  OwnerRef,
  VolumeInfo,
  VolumeSource,
} from '../storage-backend.ts';
import { parseUsedBytes } from './rbd-cli.ts';
import { settleReimage } from './rbd-reimage-settle.ts';
import type { RbdContext } from './rbd-context.ts';
import {
  baseSnapshot,
  clearLeftovers,
  dropPartial,
  ownerKey,
  ownerRecord,
  readOwner,
  readVolumeImage,
} from './rbd-objects.ts';

/**
 * Volumes of an RBD pool. From an Image or a VolumeSnapshot: a layered clone of a protected
 * snapshot (instant, shares the parent's data); deleting that snapshot or image flattens the
 * clones first (rbd-context.ts removeSnapshot), so they keep their data. From another Volume:
 * `rbd cp`, a full copy that shares nothing.
 */

function notFound(what: string, ref: OwnerRef, pool: string): StorageError {
  return new StorageError(
    'NotFound',
    `${what} ${ref.namespace}/${ref.name} (${ref.uid}) is not in RBD pool ${pool}`,
  );
}

export async function inspectVolume(
  ctx: RbdContext,
  volume: OwnerRef,
  signal?: AbortSignal,
): Promise<VolumeInfo | undefined> {
  const name = objectName('Volume', checkUid(volume.uid));
  const info = await ctx.info(name, signal);
  if (!info) return undefined;
  const meta = await ctx.meta(name, signal);
  const owner = readOwner(meta) ?? volume;
  const image = readVolumeImage(meta);
  const used = parseUsedBytes(
    await ctx.rbd(['du', ctx.spec(name), '--format', 'json'], `measuring ${name}`, signal),
  );
  const result: VolumeInfo = {
    owner,
    id: name,
    virtualSizeBytes: info.sizeBytes,
    allocatedBytes: used,
    format: 'raw',
  };
  const parent = info.parent && info.parent.pool === ctx.conn.pool ? info.parent : undefined;
  const parentImage = parent && parseObjectName(parent.image);
  if (parent && parentImage?.kind === 'Image' && parent.snapshot === baseSnapshot) {
    result.parent = { kind: 'Image', uid: parentImage.uid };
  } else if (parent && parentImage?.kind === 'Volume') {
    const snap = parseObjectName(parent.snapshot);
    if (snap?.kind === 'VolumeSnapshot') result.parent = { kind: 'VolumeSnapshot', uid: snap.uid };
  }
  if (image) result.image = image;
  return result;
}

async function mustInspect(
  ctx: RbdContext,
  volume: OwnerRef,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  const info = await inspectVolume(ctx, volume, signal);
  if (!info) throw notFound('volume', volume, ctx.conn.pool);
  return info;
}

/** Builds a volume's data into the image `target`; returns its size before any growing. */
export async function build(
  ctx: RbdContext,
  source: VolumeSource | undefined,
  sizeBytes: number,
  target: string,
  signal?: AbortSignal,
): Promise<number> {
  if (!source) {
    await ctx.rbd(
      ['create', '--size', String(sizeBytes / MiB), ctx.spec(target)],
      'creating a blank volume',
      signal,
    );
    return sizeBytes;
  }
  if (source.kind === 'Image') {
    const image = objectName('Image', checkUid(source.image.uid));
    const imageSize = await ctx.imageSize(image, signal);
    if (imageSize === undefined) throw notFound('image', source.image, ctx.conn.pool);
    checkAtLeast(sizeBytes, imageSize, `image ${source.image.namespace}/${source.image.name}`);
    try {
      await ctx.rbd(
        ['clone', ctx.spec(image, baseSnapshot), ctx.spec(target)],
        'cloning the image',
        signal,
      );
    } catch (err) {
      // The size came from a cache: the image may have gone since.
      if (err instanceof StorageError && err.reason === 'NotFound') ctx.forgetImage(image);
      throw err;
    }
    return imageSize;
  }
  if (source.kind === 'VolumeSnapshot') {
    const snapRef = source.snapshot;
    const volume = objectName('Volume', checkUid(snapRef.volumeUid));
    const snapName = objectName('VolumeSnapshot', checkUid(snapRef.uid));
    return ctx.locks.run(volumeKey(snapRef.volumeUid), async () => {
      const snap = (await ctx.info(volume, signal))
        ? (await ctx.snapshots(volume, signal)).find((s) => s.name === snapName)
        : undefined;
      if (!snap) throw notFound('snapshot', snapRef, ctx.conn.pool);
      checkAtLeast(sizeBytes, snap.sizeBytes, `snapshot ${snapRef.namespace}/${snapRef.name}`);
      if (!snap.protected) {
        await ctx.rbd(
          ['snap', 'protect', ctx.spec(volume, snapName)],
          'protecting the snapshot',
          signal,
        );
      }
      await ctx.rbd(
        ['clone', ctx.spec(volume, snapName), ctx.spec(target)],
        'cloning the snapshot',
        signal,
      );
      return snap.sizeBytes;
    });
  }
  const from = source.volume;
  const volume = objectName('Volume', checkUid(from.uid));
  return ctx.locks.run(volumeKey(from.uid), async () => {
    const info = await ctx.info(volume, signal);
    if (!info) throw notFound('volume', from, ctx.conn.pool);
    checkAtLeast(sizeBytes, info.sizeBytes, `volume ${from.namespace}/${from.name}`);
    await ctx.rbd(
      ['cp', ctx.spec(volume), ctx.spec(target)],
      `copying volume ${from.name}`,
      signal,
    );
    return info.sizeBytes;
  });
}

export async function createVolume(
  ctx: RbdContext,
  req: CreateVolumeRequest,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  const uid = checkUid(req.volume.uid);
  return ctx.locks.run(volumeKey(uid), async () => {
    const final = objectName('Volume', uid);
    // A copy is worth a look first; a clone or a blank volume is not: publishing never
    // replaces, so a second create finds out at its rename (and the controller observes first).
    if (req.source?.kind === 'Volume' && (await ctx.info(final, signal))) {
      return mustInspect(ctx, req.volume, signal);
    }
    const attempt = newAttempt();
    await clearLeftovers(ctx, uid, attempt, signal);
    const sizeBytes = roundUpToMiB(req.sizeBytes);
    const partial = partialName(final, attempt);
    try {
      const built = await build(ctx, req.source, sizeBytes, partial, signal);
      if (sizeBytes > built) {
        await ctx.rbd(
          ['resize', '--size', String(sizeBytes / MiB), ctx.spec(partial)],
          'growing the volume',
          signal,
        );
      }
      const image = req.source?.kind === 'Image' ? req.source.image : undefined;
      await ctx.setMeta(partial, ownerKey, ownerRecord('Volume', req.volume, image), signal);
      if (!(await ctx.rename(partial, final, signal))) {
        await ctx.removeImage(partial);
        return await mustInspect(ctx, req.volume, signal);
      }
    } catch (err) {
      await dropPartial(ctx, uid, partial);
      throw err;
    }
    if (req.source?.kind === 'Volume') return mustInspect(ctx, req.volume, signal);
    // A blank volume or a fresh clone holds no data of its own yet: what it is, is known
    // without asking Ceph again (each rbd call costs a process and a monitor session).
    const made: VolumeInfo = {
      owner: req.volume,
      id: final,
      virtualSizeBytes: sizeBytes,
      allocatedBytes: 0,
      format: 'raw',
    };
    if (req.source) {
      made.parent =
        req.source.kind === 'Image'
          ? { kind: 'Image', uid: req.source.image.uid }
          : { kind: 'VolumeSnapshot', uid: req.source.snapshot.uid };
    }
    if (req.source?.kind === 'Image') made.image = req.source.image;
    return made;
  });
}

export async function growVolume(
  ctx: RbdContext,
  volume: OwnerRef,
  sizeBytes: number,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  return ctx.locks.run(volumeKey(checkUid(volume.uid)), async () => {
    const now = await mustInspect(ctx, volume, signal);
    checkGrow(now.virtualSizeBytes, sizeBytes, `volume ${volume.namespace}/${volume.name}`);
    const wanted = roundUpToMiB(sizeBytes);
    if (wanted === now.virtualSizeBytes) return now;
    await ctx.rbd(
      ['resize', '--size', String(wanted / MiB), ctx.spec(now.id)],
      'growing the volume',
      signal,
    );
    return mustInspect(ctx, volume, signal);
  });
}

export async function deleteVolume(
  ctx: RbdContext,
  volume: OwnerRef,
  opts: DeleteVolumeOptions = {},
  signal?: AbortSignal,
): Promise<void> {
  const uid = checkUid(volume.uid);
  await ctx.locks.run(volumeKey(uid), async () => {
    const name = objectName('Volume', uid);
    if (!(await ctx.info(name, signal))) {
      // Cut off half-way through a reimage, the data are under its names: finished, they are
      // the volume's again and deleted as such.
      if (!(await settleReimage(ctx, uid, signal))) return;
    }
    // Never under a running guest: RBD would refuse the rm, but only after the snapshots went.
    await ctx.refuseIfOpen(name, `deleting volume ${volume.name}`, signal);
    const snaps = await ctx.snapshots(name, signal);
    if (snaps.length > 0 && opts.snapshots !== 'delete') {
      throw new StorageError(
        'HasSnapshots',
        `volume ${volume.namespace}/${volume.name} has ${String(snaps.length)} snapshot(s); delete them first`,
      );
    }
    for (const snap of snaps) {
      if (snap.name.startsWith('q-')) continue;
      await ctx.removeSnapshot(name, snap.name, signal);
    }
    if (snaps.some((s) => s.name.startsWith('q-'))) {
      // A quarantined snapshot lives in this image: the image is moved aside, not lost.
      await ctx.rename(name, quarantineName(name), signal);
      return;
    }
    await ctx.removeImage(name, signal);
  });
}
