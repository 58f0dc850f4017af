import { link } from 'node:fs/promises';
import { run, toStorageError, type CommandError } from '../exec.ts';
import { KeyedLock } from '../../../../controllers/concurrency/index.ts';
import { infoArgs, parseQemuImgInfo, type QemuImageInfo } from '../qemu-img.ts';
import type { StorageErrorReason } from '../errors.ts';
import { limitedCommand, type ResourceLimits } from '../untrusted-image.ts';
import { PoolDir } from './file-layout.ts';

function classify(err: CommandError): StorageErrorReason | undefined {
  if (/Failed to get .*lock|Is another process using the image/i.test(err.stderr)) return 'Busy';
  if (/No such file or directory/i.test(err.stderr)) return 'NotFound';
  return undefined;
}

/** What every file-pool operation works with. */
export class FileContext {
  readonly pool: PoolDir;
  readonly locks = new KeyedLock();
  readonly importRoots: readonly string[];

  constructor(dir: string, importRoots: readonly string[]) {
    this.pool = new PoolDir(dir);
    this.importRoots = importRoots;
  }

  /** Runs qemu-img (under `limits` when the input is untrusted) and returns its stdout. */
  async qemuImg(
    args: string[],
    what: string,
    signal?: AbortSignal,
    limits?: ResourceLimits,
  ): Promise<string> {
    const [cmd, cmdArgs] = limits ? limitedCommand(limits, 'qemu-img', args) : ['qemu-img', args];
    try {
      return (await run(cmd, cmdArgs, { signal })).stdout;
    } catch (err) {
      throw toStorageError(err, what, classify);
    }
  }

  /** `qemu-img info` of one of the pool's own files (trusted: made by the pool). */
  async info(file: string, signal?: AbortSignal, forceShare = true): Promise<QemuImageInfo> {
    const stdout = await this.qemuImg(
      infoArgs(this.pool.path(file), { format: 'qcow2', forceShare }),
      `reading ${file}`,
      signal,
    );
    return parseQemuImgInfo(stdout);
  }

  /**
   * Publishes a finished partial under its final name without ever replacing an object that
   * is already there (link fails with EEXIST; rename would overwrite). True when this call
   * published it.
   */
  async publish(partialFile: string, finalFile: string): Promise<boolean> {
    let published = true;
    try {
      await link(this.pool.path(partialFile), this.pool.path(finalFile));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw toStorageError(err, `publishing ${finalFile}`);
      }
      published = false;
    }
    await this.pool.remove(partialFile);
    await this.pool.syncDir();
    return published;
  }
}
