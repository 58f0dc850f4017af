import { StorageError, type StorageErrorReason } from '../errors.ts';
import type { CommandError } from '../exec.ts';

/**
 * The `rbd` CLI's arguments and JSON, and how QEMU names an RBD image. Pure: the pool runs
 * them.
 * Queries answer `--format json`; create and snapshot commands reject that flag, so only the
 * queries here ask for it.
 */

/** Who talks to which pool: a generated ceph.conf (monitors, keyring) and a cephx user. */
export interface RbdConnection {
  pool: string;
  /** The cephx id without `client.`. */
  user: string;
  conf: string;
}

export function rbdArgs(conn: RbdConnection, args: readonly string[]): string[] {
  return ['--conf', conn.conf, '--id', conn.user, ...args];
}

export function imageSpec(conn: RbdConnection, image: string, snapshot?: string): string {
  return `${conn.pool}/${image}${snapshot ? `@${snapshot}` : ''}`;
}

/** QEMU's `rbd:` file name of an image; `:` and `\\` in a value are escaped as QEMU reads them. */
export function qemuRbdFilename(conn: RbdConnection, image: string): string {
  const esc = (value: string) => value.replace(/[\\:]/g, (c) => `\\${c}`);
  return `rbd:${esc(conn.pool)}/${esc(image)}:id=${esc(conn.user)}:conf=${esc(conn.conf)}`;
}

/** `-blockdev` / QMP options of an image: the rbd protocol driver, credentials by path. */
export function rbdBlockdev(conn: RbdConnection, image: string): Record<string, unknown> {
  return { driver: 'rbd', pool: conn.pool, image, user: conn.user, conf: conn.conf };
}

function parse(json: string, what: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new StorageError('BackendFailed', `rbd ${what} printed no JSON: ${json.slice(0, 200)}`, {
      cause: err,
    });
  }
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** `rbd status --format json`: the watchers' addresses (`ip:port/nonce`). */
export function parseWatchers(json: string): string[] {
  const status = record(parse(json, 'status'));
  const watchers = Array.isArray(status.watchers) ? status.watchers : [];
  return watchers.map((w) => str(record(w).address)).filter((a): a is string => a !== undefined);
}

export function parseImageList(json: string): string[] {
  const list = parse(json, 'ls');
  return Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : [];
}

export interface RbdImageInfo {
  name: string;
  sizeBytes: number;
  parent?: { pool: string; image: string; snapshot: string };
}

export function parseImageInfo(json: string): RbdImageInfo {
  const info = record(parse(json, 'info'));
  const result: RbdImageInfo = { name: str(info.name) ?? '', sizeBytes: num(info.size) };
  const parent = record(info.parent);
  const image = str(parent.image);
  const snapshot = str(parent.snapshot);
  if (image && snapshot) result.parent = { pool: str(parent.pool) ?? '', image, snapshot };
  return result;
}

export interface RbdSnapshot {
  name: string;
  sizeBytes: number;
  protected: boolean;
  createdAt: Date;
}

export function parseSnapshots(json: string): RbdSnapshot[] {
  const list = parse(json, 'snap ls');
  if (!Array.isArray(list)) return [];
  return list.map((entry) => {
    const snap = record(entry);
    return {
      name: str(snap.name) ?? '',
      sizeBytes: num(snap.size),
      // Ceph 16 prints "true"/"false" strings here.
      protected: snap.protected === true || snap.protected === 'true',
      // ctime's format in the host's time zone, as Ceph prints it.
      createdAt: new Date(str(snap.timestamp) ?? 0),
    };
  });
}

export function parseChildren(json: string): { pool: string; image: string }[] {
  const list = parse(json, 'children');
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const child = record(entry);
    const image = str(child.image);
    return image ? [{ pool: str(child.pool) ?? '', image }] : [];
  });
}

export function parseMeta(json: string): Record<string, string> {
  const meta = record(parse(json, 'image-meta list'));
  return Object.fromEntries(
    Object.entries(meta).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Bytes the image itself holds (its head, not its snapshots), from `rbd du`. */
export function parseUsedBytes(json: string): number {
  const images = record(parse(json, 'du')).images;
  if (!Array.isArray(images)) return 0;
  const head = images.map(record).find((i) => i.snapshot === undefined);
  return num(head?.used_size);
}

/** Total and available bytes of one pool from `ceph df` and its quota. */
export function parsePoolCapacity(
  dfJson: string,
  quotaJson: string,
  pool: string,
): { totalBytes: number; availableBytes: number } | undefined {
  const pools = record(parse(dfJson, 'df')).pools;
  const entry = Array.isArray(pools) ? pools.map(record).find((p) => p.name === pool) : undefined;
  if (!entry) return undefined;
  const stats = record(entry.stats);
  const used = num(stats.stored);
  let available = num(stats.max_avail);
  let total = used + available;
  const quota = num(record(parse(quotaJson, 'get-quota')).quota_max_bytes);
  if (quota > 0) {
    total = quota;
    available = Math.max(0, Math.min(available, quota - used));
  }
  return { totalBytes: total, availableBytes: available };
}

/** What a failed rbd or ceph command means, from the errno it prints. */
export function classifyRbd(err: CommandError): StorageErrorReason | undefined {
  const text = err.stderr;
  // A pool that is not there (or not ours to see) is not a missing image.
  if (/error opening pool/.test(text)) return 'PoolUnreachable';
  if (/\(2\) No such file or directory/.test(text)) return 'NotFound';
  if (/\(16\) Device or resource busy|still has watchers/.test(text)) return 'Busy';
  if (/\(28\) No space left|\(122\) Disk quota exceeded/.test(text)) return 'NoSpace';
  if (/\(39\) Directory not empty|has snapshots/.test(text)) return 'HasSnapshots';
  if (
    /couldn't connect to the cluster|\(110\) Connection timed out|\(1\) Operation not permitted|\(13\) Permission denied|error connecting to the cluster|RADOS permission denied/.test(
      text,
    )
  ) {
    return 'PoolUnreachable';
  }
  return undefined;
}

/** rbd's stderr without its progress lines, for messages. */
export function rbdMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.replace(/[A-Za-z ]+: \d+% complete\.\.\.(done\.|failed\.)?/g, '').trim())
    .filter((l) => l !== '')
    .join('; ');
}
