import { StorageError } from '../errors.ts';
import { volumeKey } from '../keyed-lock.ts';
import { checkUid, newAttempt, objectName, partialName } from '../naming.ts';
import { checkImageFits, MiB } from '../sizes.ts';
import type { OwnerRef, VolumeInfo } from '../storage-backend.ts';
import type { RbdContext } from './rbd-context.ts';
import { clearLeftovers, dropPartial, ownerKey, ownerRecord, readOwner } from './rbd-objects.ts';
import { build, inspectVolume } from './rbd-volumes.ts';

/**
 * Reimaging a volume of an RBD pool. RBD cannot rename over an image, so the new clone takes
 * the volume's name in steps, each a rename that either happened or not:
 *
 *   1. clone the image's `base` snapshot as `vol-<uid>.partial-<attempt>`, grown to the
 *      volume's size, its owner record naming the new image (a crash: a partial, swept)
 *   2. rename it `vol-<uid>.reimage`: complete, not yet the volume
 *   3. rename `vol-<uid>` to `vol-<uid>.replaced`: the old data, no longer the volume
 *   4. rename `vol-<uid>.reimage` to `vol-<uid>`: the new data are the volume
 *   5. remove `vol-<uid>.replaced`
 *
 * Only between 3 and 4 is there no `vol-<uid>`, and only then are both `.reimage` and
 * `.replaced` there: that state is finished forwards (4, 5). In any other state what the
 * volume is, is `vol-<uid>` (or nothing, once deleted), and the other names are leftovers to
 * remove. `settleReimage` does that; it runs before the next reimage of the volume, at its
 * delete when `vol-<uid>` is not there, before its next create after a failure here
 * (`ctx.dirty`), and for every volume at the first create or reimage of a process (after a
 * crash), so a volume is never re-made from its source while its data wait under another
 * name. Those names are no partials and no objects: the sweeps of partials and orphans never
 * touch them.
 */

export const reimageName = (uid: string) => `${objectName('Volume', checkUid(uid))}.reimage`;
export const replacedName = (uid: string) => `${objectName('Volume', checkUid(uid))}.replaced`;

/** The volume a `.reimage` or `.replaced` name belongs to. */
export function reimageLeftover(name: string): string | undefined {
  const match = /^vol-([a-z0-9-]+)\.(reimage|replaced)$/.exec(name);
  return match?.[1];
}

/**
 * Finishes or clears a reimage of volume `uid` cut off half-way (the caller holds the volume's
 * lock, or is the sweep of a process's start). True when the volume is there afterwards. `names`: the pool's image names, when known.
 */
export async function settleReimage(
  ctx: RbdContext,
  uid: string,
  signal?: AbortSignal,
  names?: ReadonlySet<string>,
): Promise<boolean> {
  const volume = objectName('Volume', checkUid(uid));
  const next = reimageName(uid);
  const old = replacedName(uid);
  const has = async (name: string) =>
    names ? names.has(name) : (await ctx.info(name, signal)) !== undefined;
  let hasVolume = await has(volume);
  const hasNext = await has(next);
  const hasOld = await has(old);
  if (!hasVolume && hasNext && hasOld) {
    hasVolume = await ctx.rename(next, volume, signal);
  } else if (hasNext) {
    await ctx.removeImage(next, signal);
  }
  if (hasOld) await ctx.removeImage(old, signal);
  return hasVolume;
}

/**
 * Settles every reimage of the pool cut off half-way: a crashed process's, at the first create
 * of this one. Without the volumes' locks, as the sweep of partials: every create and reimage
 * of this process waits for it before it builds anything, and its caller holds one of them.
 */
export async function settleReimages(
  ctx: RbdContext,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const all = new Set(names);
  const uids = new Set(names.flatMap((n) => reimageLeftover(n) ?? []));
  for (const uid of uids) await settleReimage(ctx, uid, signal, all);
}

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
