import { rename, statfs } from 'node:fs/promises';
import { quarantineName } from '../naming.ts';
import type {
  OwnedObject,
  OwnerKind,
  OwnerRef,
  PartialObject,
  PoolCapacity,
  SnapshotRef,
} from '../storage-backend.ts';
import type { FileContext } from './file-context.ts';
import {
  dataFile,
  dataSuffix,
  sidecarFile,
  sidecarSuffix,
  unreachable,
  type Entry,
  type Sidecar,
} from './file-layout.ts';

import { imageKey, volumeKey } from '../keyed-lock.ts';

export { imageKey, volumeKey };

export async function capacity(ctx: FileContext): Promise<PoolCapacity> {
  try {
    const fs = await statfs(ctx.pool.dir);
    return { totalBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize };
  } catch (err) {
    throw unreachable(ctx.pool.dir, err);
  }
}

/** Everything the directory says, read once. */
interface Scan {
  /** The whole directory (a snapshot's volume has another UID than the snapshot). */
  all: Entry[];
  entries: Entry[];
  files: Set<string>;
  sidecars: Map<string, Sidecar>;
}

/** The directory, or only one object's entries (`uid`): a create must not read them all. */
async function scan(ctx: FileContext, uid?: string): Promise<Scan> {
  const all = await ctx.pool.entries();
  const entries = uid === undefined ? all : all.filter((e) => e.uid === uid);
  const sidecars = new Map<string, Sidecar>();
  for (const entry of entries) {
    if (entry.role !== 'sidecar' || entry.partial) continue;
    const sidecar = await ctx.pool.readSidecar(entry.file);
    if (sidecar) sidecars.set(entry.file, sidecar);
  }
  return { all, entries, files: new Set(entries.map((e) => e.file)), sidecars };
}

/** The snapshot tags in a volume's file (active or quarantined), read once per volume. */
function tagReader(ctx: FileContext, found: Scan, signal?: AbortSignal) {
  const cache = new Map<string, Promise<Set<string>>>();
  return (volumeUid: string): Promise<Set<string>> => {
    let tags = cache.get(volumeUid);
    if (!tags) {
      const file = found.all.find(
        (e) => e.kind === 'Volume' && e.role === 'data' && !e.partial && e.uid === volumeUid,
      )?.file;
      tags = file
        ? ctx.info(file, signal).then((info) => new Set(info.snapshots.map((s) => s.name)))
        : Promise.resolve(new Set<string>());
      cache.set(volumeUid, tags);
    }
    return tags;
  };
}

/** Volumes (in any state, half-built ones included) whose backing file is this image. */
export async function imageDependents(ctx: FileContext, imageUid: string): Promise<string[]> {
  const found = await scan(ctx);
  return [...found.sidecars.entries()]
    .filter(
      ([, s]) =>
        s.kind === 'Volume' && (s.parentImageUid === imageUid || s.reimage?.uid === imageUid),
    )
    .map(([file]) => file);
}

/**
 * The sidecar of a data file: the one moved aside with it, else any other of the same object
 * (a quarantine interrupted between its two renames).
 */
function sidecarOf(found: Scan, data: Entry): Sidecar | undefined {
  const own = found.sidecars.get(data.file.slice(0, -dataSuffix.length) + sidecarSuffix);
  if (own) return own;
  for (const s of found.sidecars.values()) {
    if (s.kind === data.kind && s.owner.uid === data.uid) return s;
  }
  return undefined;
}

function hasData(found: Scan, kind: OwnerKind, uid: string): boolean {
  return found.entries.some(
    (e) => e.role === 'data' && !e.partial && e.kind === kind && e.uid === uid,
  );
}

export async function listObjects(ctx: FileContext, signal?: AbortSignal): Promise<OwnedObject[]> {
  const found = await scan(ctx);
  const tagsOf = tagReader(ctx, found, signal);
  const objects: OwnedObject[] = [];
  for (const entry of found.entries) {
    if (entry.partial) continue;
    if (entry.role === 'data') {
      const sidecar = sidecarOf(found, entry);
      if (!sidecar) continue;
      const state = entry.quarantinedAt ? 'quarantined' : (sidecar.state ?? 'active');
      objects.push({ kind: entry.kind, owner: sidecar.owner, state, id: entry.file });
    } else if (entry.role === 'sidecar' && entry.kind === 'VolumeSnapshot') {
      const sidecar = found.sidecars.get(entry.file);
      const volumeUid = sidecar?.volumeUid ?? '';
      if (!sidecar || !(await tagsOf(volumeUid)).has(`snap-${entry.uid}`)) continue;
      objects.push({
        kind: 'VolumeSnapshot',
        owner: sidecar.owner,
        volumeUid,
        state: entry.quarantinedAt ? 'quarantined' : 'active',
        id: `${dataFile('Volume', volumeUid)}@snap-${entry.uid}`,
      });
    }
  }
  return objects;
}

/** Half-built leftovers: partial files, and sidecars whose object never appeared. */
async function partials(
  ctx: FileContext,
  signal?: AbortSignal,
  uid?: string,
): Promise<(PartialObject & { lockKey: string })[]> {
  const found = await scan(ctx, uid);
  const tagsOf = tagReader(ctx, found, signal);
  const result: (PartialObject & { lockKey: string })[] = [];
  const keyOf = (kind: OwnerKind, uid: string, sidecar?: Sidecar) =>
    kind === 'Image' ? imageKey(uid) : volumeKey(sidecar?.volumeUid ?? uid);
  for (const entry of found.entries) {
    if (entry.partial) {
      result.push({
        kind: entry.kind,
        uid: entry.uid,
        id: entry.file,
        startedAt: entry.partial.startedAt,
        lockKey: keyOf(entry.kind, entry.uid),
      });
      continue;
    }
    const sidecar = found.sidecars.get(entry.file);
    if (!sidecar || entry.quarantinedAt) continue;
    const missing =
      entry.kind === 'VolumeSnapshot'
        ? !(await tagsOf(sidecar.volumeUid ?? '')).has(`snap-${entry.uid}`)
        : !hasData(found, entry.kind, entry.uid);
    if (missing) {
      result.push({
        kind: entry.kind,
        uid: entry.uid,
        id: entry.file,
        startedAt: new Date(sidecar.createdAt),
        lockKey: keyOf(entry.kind, entry.uid, sidecar),
      });
    }
  }
  return result;
}

export async function listPartials(
  ctx: FileContext,
  signal?: AbortSignal,
): Promise<PartialObject[]> {
  return (await partials(ctx, signal)).map(({ lockKey: _, ...partial }) => partial);
}

/**
 * Removes the partials of attempts that started before `olderThan` (of one object when `uid`
 * is given), each under its object's lock, so a create in flight keeps its own.
 */
export async function cleanupPartials(
  ctx: FileContext,
  olderThan: Date,
  opts: { uid?: string; signal?: AbortSignal; locked?: boolean } = {},
): Promise<string[]> {
  const removed: string[] = [];
  const stale = (await partials(ctx, opts.signal, opts.uid)).filter((p) => p.startedAt < olderThan);
  for (const partial of stale) {
    const remove = async () => {
      // Still a partial once the lock is ours? A create may have finished it meanwhile.
      const still = (await partials(ctx, opts.signal, partial.uid)).some(
        (p) => p.id === partial.id,
      );
      if (!still) return;
      await ctx.pool.remove(partial.id);
      removed.push(partial.id);
    };
    if (opts.locked) await remove();
    else await ctx.locks.run(partial.lockKey, remove);
  }
  if (opts.uid === undefined) {
    for (const [file, sidecar] of (await scan(ctx)).sidecars) {
      if (sidecar.kind === 'Image' && sidecar.state === 'retired') {
        if (await collectRetiredImage(ctx, sidecar.owner.uid)) removed.push(file);
      }
    }
  }
  return removed;
}

/** Removes a retired image once no volume uses it; true when it was removed. */
export async function collectRetiredImage(ctx: FileContext, uid: string): Promise<boolean> {
  return ctx.locks.run(imageKey(uid), async () => {
    const sidecar = await ctx.pool.readSidecar(sidecarFile('Image', uid));
    if (sidecar?.state !== 'retired') return false;
    if ((await imageDependents(ctx, uid)).length > 0) return false;
    await ctx.pool.remove(dataFile('Image', uid));
    await ctx.pool.remove(sidecarFile('Image', uid));
    return true;
  });
}

async function moveAside(ctx: FileContext, files: string[], now: Date): Promise<void> {
  for (const file of files) {
    try {
      await rename(ctx.pool.path(file), ctx.pool.path(quarantineName(file, now)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreachable(ctx.pool.dir, err);
    }
  }
  await ctx.pool.syncDir();
}

/** Moves a volume and its snapshots' sidecars aside; the caller holds the volume's lock. */
export async function moveVolumeAside(
  ctx: FileContext,
  uid: string,
  now = new Date(),
): Promise<void> {
  const found = await scan(ctx);
  const snapshots = [...found.sidecars.entries()]
    .filter(
      ([file, s]) => s.kind === 'VolumeSnapshot' && s.volumeUid === uid && !file.startsWith('q-'),
    )
    .map(([file]) => file);
  // Data first: a crash after it leaves the sidecar in place, which still names the owner of
  // the moved data (and is moved by the sweep's next try), never an unowned file.
  await moveAside(ctx, [dataFile('Volume', uid), sidecarFile('Volume', uid), ...snapshots], now);
}

/**
 * Moves an object aside, never deleting it. Everything stays in the pool's directory, so a
 * quarantined clone still finds its image by the same relative backing-file name; an image
 * that clones still use stays where it is and is only marked quarantined.
 */
export async function quarantine(
  ctx: FileContext,
  kind: OwnerKind,
  ref: OwnerRef | SnapshotRef,
): Promise<void> {
  const now = new Date();
  if (kind === 'VolumeSnapshot') {
    const volumeUid = (ref as SnapshotRef).volumeUid;
    await ctx.locks.run(volumeKey(volumeUid), () =>
      moveAside(ctx, [sidecarFile('VolumeSnapshot', ref.uid)], now),
    );
  } else if (kind === 'Volume') {
    await ctx.locks.run(volumeKey(ref.uid), () => moveVolumeAside(ctx, ref.uid, now));
  } else {
    await ctx.locks.run(imageKey(ref.uid), async () => {
      const file = sidecarFile('Image', ref.uid);
      const sidecar = await ctx.pool.readSidecar(file);
      if (!sidecar) return;
      if ((await imageDependents(ctx, ref.uid)).length > 0) {
        await ctx.pool.writeSidecar(file, { ...sidecar, state: 'quarantined' });
      } else {
        await moveAside(ctx, [dataFile('Image', ref.uid), file], now);
      }
    });
  }
}
