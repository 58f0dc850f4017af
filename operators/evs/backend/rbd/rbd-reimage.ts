// Reimaging a volume of an RBD pool: a fresh clone of the image takes the volume's name in
// steps a crash can cut off anywhere (the steps, and how a cut-off one is finished, are in
// rbd-reimage-settle.ts, which the volume and object code use too).
import { StorageError } from '../errors.ts';
import { volumeKey } from '../keyed-lock.ts';
import { checkUid, newAttempt, objectName, partialName } from '../naming.ts';
import { checkImageFits, MiB } from '../sizes.ts';
import type { OwnerRef, VolumeInfo } from '../storage-backend.ts';
import type { RbdContext } from './rbd-context.ts';
import { clearLeftovers, dropPartial, ownerKey, ownerRecord, readOwner } from './rbd-objects.ts';
import { build, inspectVolume } from './rbd-volumes.ts';
import { reimageName, replacedName, settleReimage } from './rbd-reimage-settle.ts';

export async function reimageVolume(
  ctx: RbdContext,
  volume: OwnerRef,
  image: OwnerRef,
  signal?: AbortSignal,
): Promise<VolumeInfo> {
  const uid = checkUid(volume.uid);
  const name = objectName('Volume', uid);
  return ctx.locks.run(volumeKey(uid), async () => {
    const attempt = newAttempt();
    await clearLeftovers(ctx, uid, attempt, signal);
    await settleReimage(ctx, uid, signal);
    const info = await ctx.info(name, signal);
    if (!info) {
      throw new StorageError(
        'NotFound',
        `volume ${volume.namespace}/${volume.name} (${uid}) is not in RBD pool ${ctx.conn.pool}`,
      );
    }
    // Replacing the data under a running guest would change its disk behind its back.
    await ctx.refuseIfOpen(name, `reimaging volume ${volume.name}`, signal);
    const snaps = await ctx.snapshots(name, signal);
    if (snaps.length > 0) {
      throw new StorageError(
        'HasSnapshots',
        `volume ${volume.namespace}/${volume.name} has ${String(snaps.length)} snapshot(s), which live in the data a reimage replaces: delete its VolumeSnapshots first`,
      );
    }
    const imageName = objectName('Image', checkUid(image.uid));
    const imageSize = await ctx.imageSize(imageName, signal);
    if (imageSize === undefined) {
      throw new StorageError(
        'NotFound',
        `image ${image.namespace}/${image.name} (${image.uid}) is not in RBD pool ${ctx.conn.pool}`,
      );
    }
    checkImageFits(info.sizeBytes, imageSize, `image ${image.namespace}/${image.name}`);
    const owner = readOwner(await ctx.meta(name, signal)) ?? volume;
    const partial = partialName(name, attempt);
    try {
      const built = await build(ctx, { kind: 'Image', image }, info.sizeBytes, partial, signal);
      if (info.sizeBytes > built) {
        await ctx.rbd(
          ['resize', '--size', String(info.sizeBytes / MiB), ctx.spec(partial)],
          'growing the clone to the volume',
          signal,
        );
      }
      await ctx.setMeta(partial, ownerKey, ownerRecord('Volume', owner, image), signal);
      if (!(await ctx.rename(partial, reimageName(uid), signal))) {
        throw new StorageError('Busy', `another reimage of volume ${volume.name} is under way`);
      }
    } catch (err) {
      await dropPartial(ctx, uid, partial);
      throw err;
    }
    const step = async (from: string, to: string) => {
      // The names were settled above, under the lock: a name taken now is not ours to replace.
      if (!(await ctx.rename(from, to, signal))) {
        throw new StorageError('Busy', `${to} appeared while volume ${volume.name} was reimaged`);
      }
    };
    try {
      await step(name, replacedName(uid));
      await step(reimageName(uid), name);
      await ctx.removeImage(replacedName(uid), signal);
    } catch (err) {
      // Its next create settles it, before anything else is made under its name.
      ctx.dirty.add(uid);
      throw err;
    }
    const after = await inspectVolume(ctx, volume, signal);
    if (!after) throw new StorageError('NotFound', `volume ${volume.name} vanished while reimaged`);
    return after;
  });
}
