import { checkUid, objectName } from '../naming.ts';
import type { AttachTarget, BlockdevOptions, OwnerRef } from '../storage-backend.ts';
import { ModulePool } from '../module-pool.ts';
import { rbdBlockdev } from './rbd-cli.ts';
import { RbdContext, type RbdPoolOptions } from './rbd-context.ts';
import * as images from './rbd-images.ts';
import * as objects from './rbd-objects.ts';
import { reimageVolume } from './rbd-reimage.ts';
import * as snapshots from './rbd-snapshots.ts';
import * as volumes from './rbd-volumes.ts';

/**
 * A StoragePool of type `rbd`: a pool of a Ceph cluster, driven by the `rbd` CLI as a cephx
 * user restricted to that pool, and opened by QEMU's rbd driver.
 */
export class RbdPool extends ModulePool<RbdContext> {
  readonly type = 'rbd';
  readonly nativeFormat = 'raw';

  constructor(opts: RbdPoolOptions) {
    super(new RbdContext(opts), {
      objects,
      volumes: { ...volumes, reimageVolume },
      snapshots,
      images,
    });
  }

  /** The generated ceph.conf QEMU and the CLI use (monitors and keyring). */
  get conf(): string {
    return this.ctx.conn.conf;
  }

  attachTarget(volume: OwnerRef): AttachTarget {
    const { pool, user, conf } = this.ctx.conn;
    return { rbd: { pool, image: objectName('Volume', checkUid(volume.uid)), user, conf } };
  }

  /** Blocklists every client watching the image: Ceph refuses their writes from then on. */
  async fenceClients(volume: OwnerRef, signal?: AbortSignal): Promise<string[]> {
    const image = objectName('Volume', checkUid(volume.uid));
    const addresses = await this.ctx.watcherAddresses(image, signal);
    for (const address of addresses) {
      await this.ctx.ceph(
        ['osd', 'blocklist', 'add', address],
        `cutting off ${address}, a client of ${image}`,
        signal,
      );
    }
    return addresses;
  }

  blockdev(volume: OwnerRef): BlockdevOptions {
    return rbdBlockdev(this.ctx.conn, objectName('Volume', checkUid(volume.uid)));
  }
}
