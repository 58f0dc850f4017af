import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from '../errors.ts';
import { CommandError, run, toStorageError } from '../exec.ts';
import { KeyedLock } from '../../../../controllers/concurrency/index.ts';
import {
  classifyRbd,
  imageSpec,
  parseChildren,
  parseImageInfo,
  parseMeta,
  parseSnapshots,
  parseWatchers,
  rbdArgs,
  rbdMessage,
  type RbdConnection,
  type RbdImageInfo,
  type RbdSnapshot,
} from './rbd-cli.ts';

export interface RbdPoolOptions {
  /** The Ceph pool (an RBD pool: `rbd pool init` done). */
  pool: string;
  /** A cephx user restricted to this pool (`mon 'profile rbd' osd 'profile rbd pool=<pool>'`). */
  user: string;
  /** `mon host` entries: `127.0.0.1:6789` or `[v2:…,v1:…]`. */
  monitors: string[];
  /** A keyring file holding the user's key… */
  keyring?: string;
  /** …or the key itself (from a Secret), written to a keyring file (0600) in `runDir`. */
  key?: string;
  /** Where this pool's ceph.conf (and keyring) are written; absolute. */
  runDir: string;
  /** Where downloads are staged before they enter the pool; `runDir`/staging by default. */
  stagingDir?: string;
  /** Host directories images may be imported from by path; none by default. */
  importRoots?: readonly string[];
}

/** Names that go into cap strings, ceph.conf and QEMU's `rbd:` syntax without changing them. */
const cephName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const confValue = /^[A-Za-z0-9_.:,/[\]@+=-]+$/;

function check(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) {
    throw new StorageError(
      'InvalidRequest',
      `RBD pool ${what} ${JSON.stringify(value)} is not usable`,
    );
  }
  return value;
}

/** What every RBD-pool operation works with. */
export class RbdContext {
  readonly conn: RbdConnection;
  readonly locks = new KeyedLock();
  readonly stagingDir: string;
  readonly importRoots: readonly string[];
  private readonly opts: RbdPoolOptions;
  private prepared: Promise<void> | undefined;

  constructor(opts: RbdPoolOptions) {
    if (!path.isAbsolute(opts.runDir)) {
      throw new StorageError(
        'InvalidRequest',
        `RBD pool run directory ${opts.runDir} is not absolute`,
      );
    }
    check('name', opts.pool, cephName);
    check('user', opts.user, cephName);
    if (opts.monitors.length === 0)
      throw new StorageError('InvalidRequest', 'RBD pool has no monitors');
    for (const mon of opts.monitors) check('monitor', mon, confValue);
    if (opts.keyring === undefined && opts.key === undefined) {
      throw new StorageError(
        'InvalidRequest',
        `RBD pool ${opts.pool} has neither a keyring nor a key`,
      );
    }
    if (opts.keyring !== undefined) check('keyring path', opts.keyring, confValue);
    if (opts.key !== undefined) check('key', opts.key, /^[A-Za-z0-9+/=]+$/);
    this.opts = opts;
    this.conn = {
      pool: opts.pool,
      user: opts.user,
      conf: path.join(opts.runDir, `${opts.pool}.${opts.user}.conf`),
    };
    this.stagingDir = opts.stagingDir ?? path.join(opts.runDir, 'staging');
    this.importRoots = opts.importRoots ?? [];
  }

  /** Writes this pool's ceph.conf (and keyring) once: the only way the CLI and QEMU connect. */
  ready(): Promise<void> {
    this.prepared ??= (async () => {
      const opts = this.opts;
      await mkdir(opts.runDir, { recursive: true, mode: 0o700 });
      await mkdir(this.stagingDir, { recursive: true, mode: 0o700 });
      let keyring = opts.keyring ?? '';
      if (opts.key !== undefined) {
        keyring = path.join(opts.runDir, `${opts.pool}.${opts.user}.keyring`);
        await writeFile(keyring, `[client.${opts.user}]\n\tkey = ${opts.key}\n`, { mode: 0o600 });
        await chmod(keyring, 0o600);
      }
      const conf = [
        '[global]',
        `mon host = ${opts.monitors.join(',')}`,
        `keyring = ${keyring}`,
        // An unreachable cluster answers PoolUnreachable in seconds, not after 5 minutes.
        'client mount timeout = 15',
        'rados mon op timeout = 15',
        '',
      ].join('\n');
      await writeFile(this.conn.conf, conf, { mode: 0o600 });
    })().catch((err: unknown) => {
      this.prepared = undefined;
      throw toStorageError(err, `writing the configuration of RBD pool ${this.opts.pool}`);
    });
    return this.prepared;
  }

  private async exec(tool: 'rbd' | 'ceph', args: string[], what: string, signal?: AbortSignal) {
    await this.ready();
    try {
      return (await run(tool, rbdArgs(this.conn, args), { signal })).stdout;
    } catch (err) {
      const e = toStorageError(err, what, classifyRbd);
      if (err instanceof CommandError && !err.aborted && !err.notInstalled) {
        const message = `${what} in RBD pool ${this.conn.pool}: ${rbdMessage(err.stderr) || err.message}`;
        throw new StorageError(e.reason, message, { cause: err });
      }
      throw e;
    }
  }

  /** qemu-img with this pool's images as `rbd:` targets (trusted input only). */
  async qemuImg(args: string[], what: string, signal?: AbortSignal): Promise<string> {
    await this.ready();
    try {
      return (await run('qemu-img', args, { signal })).stdout;
    } catch (err) {
      throw toStorageError(err, `${what} in RBD pool ${this.conn.pool}`, classifyRbd);
    }
  }

  rbd(args: string[], what: string, signal?: AbortSignal): Promise<string> {
    return this.exec('rbd', args, what, signal);
  }

  ceph(args: string[], what: string, signal?: AbortSignal): Promise<string> {
    return this.exec('ceph', args, what, signal);
  }

  spec(image: string, snapshot?: string): string {
    return imageSpec(this.conn, image, snapshot);
  }

  /** Undefined when the image does not exist. */
  async info(image: string, signal?: AbortSignal): Promise<RbdImageInfo | undefined> {
    try {
      return parseImageInfo(
        await this.rbd(['info', this.spec(image), '--format', 'json'], `reading ${image}`, signal),
      );
    } catch (err) {
      if (err instanceof StorageError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  async meta(image: string, signal?: AbortSignal): Promise<Record<string, string>> {
    return parseMeta(
      await this.rbd(
        ['image-meta', 'list', this.spec(image), '--format', 'json'],
        `reading ${image}'s owner`,
        signal,
      ),
    );
  }

  async setMeta(image: string, key: string, value: string, signal?: AbortSignal): Promise<void> {
    await this.rbd(
      ['image-meta', 'set', this.spec(image), key, value],
      `recording ${image}'s owner`,
      signal,
    );
  }

  async removeMeta(image: string, key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.rbd(['image-meta', 'remove', this.spec(image), key], `forgetting ${key}`, signal);
    } catch (err) {
      if (!(err instanceof StorageError && err.reason === 'NotFound')) throw err;
    }
  }

  async snapshots(image: string, signal?: AbortSignal): Promise<RbdSnapshot[]> {
    return parseSnapshots(
      await this.rbd(
        ['snap', 'ls', this.spec(image), '--format', 'json'],
        `listing ${image}'s snapshots`,
        signal,
      ),
    );
  }

  async children(image: string, snapshot: string, signal?: AbortSignal) {
    return parseChildren(
      await this.rbd(
        ['children', this.spec(image, snapshot), '--format', 'json'],
        `listing clones of ${image}@${snapshot}`,
        signal,
      ),
    );
  }

  /** Clients that have the image open (a running QEMU). */
  async watchers(image: string, signal?: AbortSignal): Promise<number> {
    return (await this.watcherAddresses(image, signal)).length;
  }

  /** The addresses (`ip:port/nonce`, one per client instance) of the image's watchers. */
  async watcherAddresses(image: string, signal?: AbortSignal): Promise<string[]> {
    return parseWatchers(
      await this.rbd(
        ['status', this.spec(image), '--format', 'json'],
        `reading ${image}'s users`,
        signal,
      ),
    );
  }

  async refuseIfOpen(image: string, what: string, signal?: AbortSignal): Promise<void> {
    const n = await this.watchers(image, signal);
    if (n > 0) {
      throw new StorageError(
        'Busy',
        `${what}: ${image} is open by ${String(n)} client(s) (a running QEMU); detach it first`,
      );
    }
  }

  private readonly imageSizes = new Map<string, number>();
  /** When this process started using the pool: older partials are a crashed process's. */
  readonly startedAt = new Date();
  /** Objects whose failed attempt could not remove its own partial. */
  readonly dirty = new Set<string>();
  private swept: Promise<unknown> | undefined;

  /** Runs `sweep` once per process (again after a failure). */
  async sweepOnce(sweep: () => Promise<unknown>): Promise<void> {
    this.swept ??= sweep().catch((err: unknown) => {
      this.swept = undefined;
      throw err;
    });
    await this.swept;
  }

  /**
   * An image's size, remembered: images never change size, and every clone needs it. Undefined
   * when the image does not exist.
   */
  async imageSize(image: string, signal?: AbortSignal): Promise<number | undefined> {
    const known = this.imageSizes.get(image);
    if (known !== undefined) return known;
    const info = await this.info(image, signal);
    if (info) this.imageSizes.set(image, info.sizeBytes);
    return info?.sizeBytes;
  }

  forgetImage(image: string): void {
    this.imageSizes.delete(image);
  }

  /** Renames without ever replacing: false when `to` exists already. */
  async rename(from: string, to: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.rbd(['rename', this.spec(from), this.spec(to)], `publishing ${to}`, signal);
      return true;
    } catch (err) {
      const stderr =
        err instanceof StorageError && err.cause instanceof CommandError ? err.cause.stderr : '';
      if (/\(17\) File exists/.test(stderr)) return false;
      throw err;
    }
  }

  /**
   * Flattens the clones of a snapshot (each gets its own copy of the data it shared), then
   * unprotects and removes the snapshot: the clones keep their data, the snapshot goes.
   */
  async removeSnapshot(image: string, snapshot: string, signal?: AbortSignal): Promise<void> {
    const snap = (await this.snapshots(image, signal)).find((s) => s.name === snapshot);
    if (!snap) return;
    for (const child of await this.children(image, snapshot, signal)) {
      const pool = child.pool || this.conn.pool;
      await this.rbd(['flatten', `${pool}/${child.image}`], `flattening ${child.image}`, signal);
    }
    if (snap.protected) {
      await this.rbd(
        ['snap', 'unprotect', this.spec(image, snapshot)],
        `unprotecting ${image}@${snapshot}`,
        signal,
      );
    }
    await this.rbd(
      ['snap', 'rm', this.spec(image, snapshot)],
      `removing ${image}@${snapshot}`,
      signal,
    );
  }

  /** Removes an image, its snapshots and (flattened first) their clones; none is no error. */
  async removeImage(image: string, signal?: AbortSignal): Promise<void> {
    if (!(await this.info(image, signal))) return;
    for (const snap of await this.snapshots(image, signal))
      await this.removeSnapshot(image, snap.name, signal);
    try {
      await this.rbd(['rm', this.spec(image)], `removing ${image}`, signal);
    } catch (err) {
      if (!(err instanceof StorageError && err.reason === 'NotFound')) throw err;
    }
  }
}
