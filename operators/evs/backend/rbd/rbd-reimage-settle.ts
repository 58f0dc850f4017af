import { checkUid, objectName } from '../naming.ts';
import type { RbdContext } from './rbd-context.ts';

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
