import { rename } from 'node:fs/promises';
import { StorageError } from '../errors.ts';
import { toStorageError } from '../exec.ts';
import { checkUid, newAttempt, partialName } from '../naming.ts';
import { checkImageFits } from '../sizes.ts';
import type { OwnerRef, VolumeInfo } from '../storage-backend.ts';
import type { FileContext } from './file-context.ts';
import { activeImage } from './file-images.ts';
import { dataFile, sidecarFile, type Sidecar } from './file-layout.ts';
import { cleanupPartials, collectRetiredImage, volumeKey } from './file-objects.ts';
import { inspectVolume, plan, volumeOrigin } from './file-volumes.ts';

/**
 * Reimaging a volume of a file pool: a new qcow2 overlay of the image is built under a partial
 * name and renamed over the volume's file, which replaces it at once (the one place a file pool
 * replaces an object: the volume is there before and after). Around it the sidecar names the
 * new image as `reimage` first, so the image counts as used while its clone is built, and as
 * the volume's image once the data are replaced. A crash between the rename and that last
 * write leaves the sidecar unsettled; the data file's backing file then says which image the
 * data are of (volumeOrigin), and the next reimage or delete counts both images.
 */
export async function reimageVolume(
  ctx: FileContext,
  volume: OwnerRef,
  image: OwnerRef,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  const uid = checkUid(volume.uid);
  /** Images the sidecar counted as used before: those it no longer counts may go after. */
  const counted = new Set<string>();
  let last: Sidecar | undefined;
  try {
    const info = await ctx.locks.run(volumeKey(uid), async () => {
      const file = dataFile('Volume', uid);
      const sidecarName = sidecarFile('Volume', uid);
      if (!(await ctx.pool.exists(file))) {
        throw new StorageError(
          'NotFound',
          `volume ${volume.namespace}/${volume.name} (${uid}) is not in pool ${ctx.pool.dir}`,
        );
      }
      // Without --force-share: a QEMU that has the volume open makes this Busy.
      const now = await ctx.info(file, signal, false);
      if (now.snapshots.length > 0) {
        throw new StorageError(
          'HasSnapshots',
          `volume ${volume.namespace}/${volume.name} has ${String(now.snapshots.length)} snapshot(s), which live in the data a reimage replaces: delete its VolumeSnapshots first`,
        );
      }
      const img = await activeImage(ctx, image);
      checkImageFits(
        now.virtualSizeBytes,
        img.virtualSizeBytes,
        `image ${image.namespace}/${image.name}`,
      );
      const attempt = newAttempt();
      await cleanupPartials(ctx, attempt.startedAt, { uid, locked: true });
      const before: Sidecar = (await ctx.pool.readSidecar(sidecarName)) ?? {
        kind: 'Volume',
        owner: volume,
        createdAt: attempt.startedAt.toISOString(),
      };
      for (const u of [before.parentImageUid, before.reimage?.uid]) if (u) counted.add(u);
      // What the data are now (an earlier reimage may have replaced them without settling).
      const { reimage: _, ...settled } = { ...before, ...volumeOrigin(before, now.backingFile) };
      last = before;
      await ctx.pool.writeSidecar(sidecarName, { ...settled, reimage: image }, attempt);
      const partial = partialName(file, attempt);
      try {
        const how = await plan(ctx, { kind: 'Image', image }, now.virtualSizeBytes);
        await how.build(ctx.pool.path(partial), signal);
        try {
          await rename(ctx.pool.path(partial), ctx.pool.path(file));
        } catch (err) {
          throw toStorageError(err, `replacing the data of volume ${volume.name}`);
        }
        await ctx.pool.syncDir();
      } catch (err) {
        // The old data stay: the sidecar says so again.
        await ctx.pool.remove(partial);
        await ctx.pool.writeSidecar(sidecarName, settled);
        last = settled;
        throw err;
      }
      last = { ...settled, parentImageUid: image.uid, image };
      await ctx.pool.writeSidecar(sidecarName, last);
      return inspectVolume(ctx, volume, signal);
    });
    if (!info) {
      throw new StorageError('NotFound', `volume ${volume.name} vanished while it was reimaged`);
    }
    return info;
  } finally {
    // An image the volume no longer uses may have been deleted while the volume kept it.
    for (const u of counted) {
      if (u !== last?.parentImageUid && u !== last?.reimage?.uid) await collectRetiredImage(ctx, u);
    }
  }
}
