import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../errors.ts';
import { imageKey, volumeKey } from '../keyed-lock.ts';
import {
  objectName,
  type Attempt,
  parseObjectName,
  parsePartialName,
  parseQuarantineName,
  quarantineName,
} from '../naming.ts';
import type {
  OwnedObject,
  OwnerKind,
  OwnerRef,
  PartialObject,
  PoolCapacity,
  SnapshotRef,
} from '../storage-backend.ts';
import { parseImageList, parsePoolCapacity } from './rbd-cli.ts';
import { settleReimage, settleReimages } from './rbd-reimage-settle.ts';
import type { RbdContext } from './rbd-context.ts';

/**
 * How an RBD pool names things: images `vol-<uid>` and `img-<uid>` (an image's clones hang
 * off its protected snapshot `base`), a volume's snapshots `snap-<uid>`, half-built images
 * `<name>.partial-<attempt>`, quarantined ones `q-<time>-<name>`. The owner's namespace and
 * name are image-meta: `kcloud.owner` on an image, `kcloud.snap.<uid>` on a volume for each of
 * its snapshots. Clones refer to their parent by image id, so renames never break them.
 */
export const ownerKey = 'kcloud.owner';
export const imageMetaKey = 'kcloud.image';
export const snapKey = (uid: string) => `kcloud.snap.${uid}`;
export const baseSnapshot = 'base';

export interface OwnerRecord {
  kind: OwnerKind;
  namespace: string;
  name: string;
  uid: string;
}

/**
 * The owner record of an image; a volume's also names the Image its data were last made from
 * (set with the data, before they are published: the record and the data never disagree).
 */
export function ownerRecord(kind: OwnerKind, ref: OwnerRef, image?: OwnerRef): string {
  return JSON.stringify({
    kind,
    namespace: ref.namespace,
    name: ref.name,
    uid: ref.uid,
    ...(image ? { image: { namespace: image.namespace, name: image.name, uid: image.uid } } : {}),
  });
}

/** The Image a volume's owner record names, if any. */
export function readVolumeImage(meta: Record<string, string>): OwnerRef | undefined {
  const raw = meta[ownerKey];
  if (!raw) return undefined;
  try {
    const image = (JSON.parse(raw) as { image?: Partial<OwnerRef> }).image;
    if (
      typeof image?.namespace !== 'string' ||
      typeof image.name !== 'string' ||
      typeof image.uid !== 'string'
    ) {
      return undefined;
    }
    return { namespace: image.namespace, name: image.name, uid: image.uid };
  } catch {
    return undefined;
  }
}

export function readOwner(meta: Record<string, string>, key = ownerKey): OwnerRef | undefined {
  const raw = meta[key];
  if (!raw) return undefined;
  try {
    const o = JSON.parse(raw) as Partial<OwnerRecord>;
    if (
      typeof o.namespace !== 'string' ||
      typeof o.name !== 'string' ||
      typeof o.uid !== 'string'
    ) {
      return undefined;
    }
    return { namespace: o.namespace, name: o.name, uid: o.uid };
  } catch {
    return undefined;
  }
}

export async function capacity(ctx: RbdContext, signal?: AbortSignal): Promise<PoolCapacity> {
  const df = await ctx.ceph(['df', '--format', 'json'], 'reading capacity', signal);
  const quota = await ctx.ceph(
    ['osd', 'pool', 'get-quota', ctx.conn.pool, '--format', 'json'],
    'reading the quota',
    signal,
  );
  const result = parsePoolCapacity(df, quota, ctx.conn.pool);
  if (!result) {
    throw new StorageError(
      'PoolUnreachable',
      `Ceph reports no pool ${ctx.conn.pool}; create it or fix the StoragePool`,
    );
  }
  return result;
}

export async function imageNames(ctx: RbdContext, signal?: AbortSignal): Promise<string[]> {
  return parseImageList(
    await ctx.rbd(['ls', ctx.conn.pool, '--format', 'json'], 'listing images', signal),
  );
}

/** An image name taken apart: what it is, whose, in which state. */
function parseImage(name: string) {
  const partial = parsePartialName(name);
  let rest = partial?.base ?? name;
  const quarantined = parseQuarantineName(rest);
  rest = quarantined?.base ?? rest;
  const parsed = parseObjectName(rest);
  if (!parsed || parsed.kind === 'VolumeSnapshot') return undefined;
  return { ...parsed, partial, quarantined: quarantined !== undefined };
}

function parseSnapName(name: string) {
  const quarantined = parseQuarantineName(name);
  const parsed = parseObjectName(quarantined?.base ?? name);
  if (parsed?.kind !== 'VolumeSnapshot') return undefined;
  return { uid: parsed.uid, quarantined: quarantined !== undefined };
}

export async function listObjects(ctx: RbdContext, signal?: AbortSignal): Promise<OwnedObject[]> {
  const objects: OwnedObject[] = [];
  for (const name of await imageNames(ctx, signal)) {
    const parsed = parseImage(name);
    if (!parsed || parsed.partial) continue;
    const meta = await ctx.meta(name, signal);
    const owner = readOwner(meta);
    if (!owner) continue;
    objects.push({
      kind: parsed.kind,
      owner,
      state: parsed.quarantined ? 'quarantined' : 'active',
      id: name,
    });
    if (parsed.kind !== 'Volume') continue;
    for (const snap of await ctx.snapshots(name, signal)) {
      const s = parseSnapName(snap.name);
      const snapOwner = s && readOwner(meta, snapKey(s.uid));
      if (!s || !snapOwner) continue;
      objects.push({
        kind: 'VolumeSnapshot',
        owner: snapOwner,
        volumeUid: parsed.uid,
        state: s.quarantined || parsed.quarantined ? 'quarantined' : 'active',
        id: `${name}@${snap.name}`,
      });
    }
  }
  return objects;
}

interface Leftover extends PartialObject {
  lockKey: string;
  remove: () => Promise<void>;
}

/** Partial images and staged downloads. */
async function leftovers(
  ctx: RbdContext,
  opts: { uid?: string; signal?: AbortSignal; names?: string[] },
): Promise<Leftover[]> {
  const { uid, signal, names } = opts;
  const result: Leftover[] = [];
  for (const name of names ?? (await imageNames(ctx, signal))) {
    const parsed = parseImage(name);
    if (!parsed?.partial || (uid !== undefined && parsed.uid !== uid)) continue;
    result.push({
      kind: parsed.kind,
      uid: parsed.uid,
      id: name,
      startedAt: parsed.partial.startedAt,
      lockKey: parsed.kind === 'Image' ? imageKey(parsed.uid) : volumeKey(parsed.uid),
      remove: () => ctx.removeImage(name, signal),
    });
  }
  // A snapshot record (image-meta) whose snapshot never came is no leftover: it is inert,
  // reused by the snapshot's next create and removed with its deletion or its volume's.
  let staged: string[] = [];
  try {
    staged = await readdir(ctx.stagingDir);
  } catch {
    // Not made yet: nothing staged.
  }
  for (const file of staged) {
    const partial = parsePartialName(file);
    const parsed = partial && parseObjectName(partial.base.split('.')[0] ?? '');
    if (!partial || !parsed || (uid !== undefined && parsed.uid !== uid)) continue;
    result.push({
      kind: parsed.kind,
      uid: parsed.uid,
      id: path.join(ctx.stagingDir, file),
      startedAt: partial.startedAt,
      lockKey: imageKey(parsed.uid),
      remove: () => rm(path.join(ctx.stagingDir, file), { force: true }),
    });
  }
  return result;
}

export async function listPartials(
  ctx: RbdContext,
  signal?: AbortSignal,
): Promise<PartialObject[]> {
  return (await leftovers(ctx, signal ? { signal } : {})).map(({ kind, uid, id, startedAt }) => ({
    kind,
    uid,
    id,
    startedAt,
  }));
}

export async function cleanupPartials(
  ctx: RbdContext,
  olderThan: Date,
  opts: { uid?: string; signal?: AbortSignal; locked?: boolean; names?: string[] } = {},
): Promise<string[]> {
  const removed: string[] = [];
  for (const leftover of await leftovers(ctx, opts)) {
    if (leftover.startedAt >= olderThan) continue;
    // Partial names are unique per attempt: one older than the cutoff is never finished later.
    if (opts.locked) await leftover.remove();
    else await ctx.locks.run(leftover.lockKey, leftover.remove);
    removed.push(leftover.id);
  }
  return removed;
}

/** Renames aside (clones follow their parent by id); what is not there is no error. */
export async function quarantine(
  ctx: RbdContext,
  kind: OwnerKind,
  ref: OwnerRef | SnapshotRef,
  signal?: AbortSignal,
): Promise<void> {
  const now = new Date();
  if (kind === 'VolumeSnapshot') {
    const volume = objectName('Volume', (ref as SnapshotRef).volumeUid);
    const snap = objectName('VolumeSnapshot', ref.uid);
    await ctx.locks.run(volumeKey((ref as SnapshotRef).volumeUid), async () => {
      if (!(await ctx.info(volume, signal))) return;
      if (!(await ctx.snapshots(volume, signal)).some((s) => s.name === snap)) return;
      await ctx.rbd(
        ['snap', 'rename', ctx.spec(volume, snap), ctx.spec(volume, quarantineName(snap, now))],
        `moving ${volume}@${snap} aside`,
        signal,
      );
    });
    return;
  }
  const name = objectName(kind, ref.uid);
  await ctx.locks.run(kind === 'Image' ? imageKey(ref.uid) : volumeKey(ref.uid), async () => {
    if (!(await ctx.info(name, signal))) return;
    await ctx.rename(name, quarantineName(name, now), signal);
  });
}

/**
 * Before a create. What a crashed process left is removed once per process: everything older
 * than its start (no attempt of this process is). This process's own failed attempts clean up
 * after themselves; when that failed too, the object is marked and its next create lists and
 * removes them. So a create costs no listing of the pool.
 */
export async function clearLeftovers(
  ctx: RbdContext,
  uid: string,
  attempt: Attempt,
  signal?: AbortSignal,
): Promise<void> {
  await ctx.sweepOnce(async () => {
    // A reimage a crash cut off half-way may hold a volume's data under another name.
    await settleReimages(ctx, await imageNames(ctx, signal), signal);
    return cleanupPartials(ctx, ctx.startedAt, { locked: true });
  });
  if (ctx.dirty.delete(uid)) {
    await settleReimage(ctx, uid, signal);
    await cleanupPartials(ctx, attempt.startedAt, {
      uid,
      locked: true,
      ...(signal ? { signal } : {}),
    });
  }
}

/** Removes a failed attempt's partial; if even that fails, the next create of `uid` will. */
export async function dropPartial(ctx: RbdContext, uid: string, partial: string): Promise<void> {
  try {
    await ctx.removeImage(partial);
  } catch {
    ctx.dirty.add(uid);
  }
}
