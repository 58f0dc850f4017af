import type { AttachTarget, BlockdevOptions, OwnerRef } from '../storage-backend.ts';
import { ModulePool } from '../module-pool.ts';
import { checkUid } from '../naming.ts';
import { FileContext } from './file-context.ts';
import { dataFile } from './file-layout.ts';
import * as images from './file-images.ts';
import * as objects from './file-objects.ts';
import { reimageVolume } from './file-reimage.ts';
import * as snapshots from './file-snapshots.ts';
import * as volumes from './file-volumes.ts';

export interface FilePoolOptions {
  /** The pool's directory (absolute; must exist: a missing mount is `PoolUnreachable`). */
  dir: string;
  /** Host directories images may be imported from by path; none by default. */
  importRoots?: readonly string[];
}

/** A StoragePool of type `file`: a directory of qcow2 files, every operation by qemu-img. */
export class FilePool extends ModulePool<FileContext> {
  readonly type = 'file';
  readonly nativeFormat = 'qcow2';

  constructor(opts: FilePoolOptions) {
    super(new FileContext(opts.dir, opts.importRoots ?? []), {
      objects,
      volumes: { ...volumes, reimageVolume },
      snapshots,
      images,
    });
  }

  get dir(): string {
    return this.ctx.pool.dir;
  }

  attachTarget(volume: OwnerRef): AttachTarget {
    return {
      file: { path: this.ctx.pool.path(dataFile('Volume', checkUid(volume.uid))), format: 'qcow2' },
    };
  }

  /**
   * A file has no clients the pool can tell apart or cut off; QEMU's lock on the image refuses
   * a second writer while a first one (on any host of a shared file system with locks) has it.
   */
  fenceClients(): Promise<string[]> {
    return Promise.resolve([]);
  }

  blockdev(volume: OwnerRef): BlockdevOptions {
    // The backing chain (the image) is opened by QEMU from the file's own header.
    return {
      driver: 'qcow2',
      file: {
        driver: 'file',
        filename: this.ctx.pool.path(dataFile('Volume', checkUid(volume.uid))),
      },
    };
  }
}
