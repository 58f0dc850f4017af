import { open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../errors.ts';
import {
  newAttempt,
  objectName,
  parseObjectName,
  parsePartialName,
  parseQuarantineName,
  partialName,
  type Attempt,
} from '../naming.ts';
import type { DiskFormat, OwnerKind, OwnerRef } from '../storage-backend.ts';

/**
 * How a file pool lays out its directory (all in one flat directory, so that the relative
 * backing-file name of a clone, `img-<uid>.qcow2`, resolves wherever the pool is mounted):
 *
 *   vol-<uid>.qcow2   a volume;            vol-<uid>.json   its owner (and parent image)
 *   img-<uid>.qcow2   an image (read-only); img-<uid>.json   its owner, sha256, source format
 *                                          snap-<uid>.json  a snapshot's owner; the snapshot
 *                                          itself is the internal qcow2 snapshot `snap-<uid>`
 *                                          in its volume's file
 *   <any>.partial-<attempt>                half-built; never read as an object
 *   q-<time>-<any>                         quarantined: moved aside, never touched again
 *
 * The data file is the object: it appears by a no-clobber link of a finished partial, after
 * its sidecar is written. A sidecar without its data file is a partial leftover.
 */

export const dataSuffix = '.qcow2';
export const sidecarSuffix = '.json';

/** The owner record beside each object. */
export interface Sidecar {
  kind: OwnerKind;
  owner: OwnerRef;
  createdAt: string;
  /** A snapshot's volume. */
  volumeUid?: string;
  /** A volume's base image (its qcow2 backing file), kept until no volume uses it. */
  parentImageUid?: string;
  /** A volume's Image: the one it was cloned from at creation, or last reimaged from. */
  image?: OwnerRef;
  /**
   * A volume being reimaged: the image its new data will be a clone of. Counted as used from
   * before the clone is built; the data file's backing file says whether it has replaced the
   * old data yet (a crash before the sidecar was settled).
   */
  reimage?: OwnerRef;
  /** A snapshot's size when taken; an image's virtual size. */
  sizeBytes?: number;
  /** Images: what the source was, and its sha256. */
  sourceFormat?: DiskFormat;
  sha256?: string;
  /**
   * Images only (their data file cannot move: clones name it as their backing file):
   * `retired` once deleted while clones still use it, `quarantined` once moved aside.
   */
  state?: 'retired' | 'quarantined';
}

export function dataFile(kind: 'Volume' | 'Image', uid: string): string {
  return objectName(kind, uid) + dataSuffix;
}

export function sidecarFile(kind: OwnerKind, uid: string): string {
  return objectName(kind, uid) + sidecarSuffix;
}

/** One entry of the pool directory, parsed. */
export interface Entry {
  file: string;
  kind: OwnerKind;
  uid: string;
  role: 'data' | 'sidecar' | 'download';
  quarantinedAt?: Date;
  partial?: { attemptId: string; startedAt: Date };
}

export function parseEntry(file: string): Entry | undefined {
  let rest = file;
  const entry: Partial<Entry> = { file };
  const partial = parsePartialName(rest);
  if (partial) {
    entry.partial = { attemptId: partial.attemptId, startedAt: partial.startedAt };
    rest = partial.base;
  }
  const quarantined = parseQuarantineName(rest);
  if (quarantined) {
    entry.quarantinedAt = quarantined.at;
    rest = quarantined.base;
  }
  let role: Entry['role'];
  if (rest.endsWith(dataSuffix)) role = 'data';
  else if (rest.endsWith(sidecarSuffix)) role = 'sidecar';
  else if (rest.endsWith('.download')) role = 'download';
  else return undefined;
  const parsed = parseObjectName(rest.slice(0, rest.lastIndexOf('.')));
  if (!parsed) return undefined;
  return { ...entry, file, kind: parsed.kind, uid: parsed.uid, role };
}

export class PoolDir {
  readonly dir: string;

  constructor(dir: string) {
    if (!path.isAbsolute(dir)) {
      throw new StorageError(
        'InvalidRequest',
        `file pool directory ${dir} is not an absolute path`,
      );
    }
    this.dir = path.normalize(dir);
  }

  path(file: string): string {
    return path.join(this.dir, file);
  }

  /**
   * Every entry of the directory. A missing directory is `PoolUnreachable`, never created
   * here: a shared pool whose mount is missing must not fill the host's own disk instead.
   */
  async entries(): Promise<Entry[]> {
    let files: string[];
    try {
      files = await readdir(this.dir);
    } catch (err) {
      throw unreachable(this.dir, err);
    }
    return files.flatMap((file) => parseEntry(file) ?? []);
  }

  async readSidecar(file: string): Promise<Sidecar | undefined> {
    try {
      return JSON.parse(await readFile(this.path(file), 'utf8')) as Sidecar;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (err instanceof SyntaxError) return undefined;
      throw unreachable(this.dir, err);
    }
  }

  /** Writes a sidecar whole (partial, then rename): a crash leaves the old one or the new. */
  async writeSidecar(file: string, sidecar: Sidecar, attempt: Attempt = newAttempt()) {
    const partial = this.path(partialName(file, attempt));
    await writeFile(partial, JSON.stringify(sidecar, null, 2) + '\n', { mode: 0o600 });
    await rename(partial, this.path(file));
  }

  /** Whether a file is there; a pool directory that is not there is `PoolUnreachable`. */
  async exists(file: string): Promise<boolean> {
    try {
      await stat(this.path(file));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unreachable(this.dir, err);
    }
    await this.check();
    return false;
  }

  async check(): Promise<void> {
    try {
      if ((await stat(this.dir)).isDirectory()) return;
    } catch (err) {
      throw unreachable(this.dir, err);
    }
    throw unreachable(this.dir, new Error('not a directory'));
  }

  async remove(file: string): Promise<void> {
    await rm(this.path(file), { force: true });
  }

  /** Makes renames and links durable: the directory's own entries reach the disk. */
  async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

export function unreachable(dir: string, err: unknown): StorageError {
  const code = (err as NodeJS.ErrnoException).code;
  return new StorageError(
    'PoolUnreachable',
    `file pool directory ${dir} cannot be read (${code ?? String(err)}); check that it exists and is mounted`,
    { cause: err },
  );
}
