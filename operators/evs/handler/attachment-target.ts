// The agent's side of a VolumeAttachment: the volume's data is in a pool this host reaches, so
// attaching makes nothing new; it checks the data is there and says how QEMU on this host opens
// it. Detaching leaves the data alone: it is the Volume's. The Volume may be bound to another
// host (a Shared or RBD pool): it is taken from this host's cache when there, else read live.
// What is read of it (its pool, its owner, multiAttach) does not change once it is placed, and
// an attachment is looked at again at every resync: a live read each time was a request to
// etcd per attachment per resync period.
import { ReconcileError, type ExternalClient } from '../../../controllers/external/index.ts';
import type { AttachTargetStatus, VolumeAttachmentObject } from '../api/index.ts';
import { ownerRef } from './owners.ts';
import type { PoolBackends } from './pool-backends.ts';
import { sourceMissing, type SourceReader } from './sources.ts';

export interface AttachmentTargetOptions {
  pools: PoolBackends;
  sources: SourceReader;
  /** The Volume from this host's cache, if it has it (bound to this host). */
  cachedVolume?: (namespace: string, name: string) => Awaited<ReturnType<SourceReader['volume']>>;
  /** Told of clients cut off from a volume before its new attachment (see below). */
  fenced?: (attachment: VolumeAttachmentObject, clients: string[]) => void;
}

export function attachmentTarget(
  opts: AttachmentTargetOptions,
): ExternalClient<VolumeAttachmentObject, AttachTargetStatus> {
  return {
    async observe(obj, signal) {
      if (obj.metadata.deletionTimestamp) return { exists: false, upToDate: false };
      const ns = obj.metadata.namespace ?? '';
      const name = obj.spec.volumeRef.name;
      const vol = opts.cachedVolume?.(ns, name) ?? (await opts.sources.volume(ns, name, signal));
      if (!vol) throw sourceMissing('Volume', ns, name);
      // The Volume's own pool: the attachment's status may not say it yet when its label
      // (which hands it to this host) arrives.
      const pool = (vol.status as { storagePool?: string } | undefined)?.storagePool;
      if (pool === undefined) {
        throw new ReconcileError('WaitingForVolume', `Volume ${name} is not placed in a pool yet`);
      }
      const backend = await opts.pools.backendFor(pool, signal);
      const owner = ownerRef(vol);
      if (!(await backend.inspectVolume(owner, signal))) {
        throw new ReconcileError(
          'VolumeDataMissing',
          `the data of Volume ${name} is not in the StoragePool ${pool} as this host sees it`,
        );
      }
      // A volume that is not multiAttach has one attachment at a time, and its hypervisor
      // closes it before that attachment goes. A client that still has it open when a new
      // attachment is made is one that could not close it: a hypervisor on a host that was
      // lost and fenced (its instance moved here). It is cut off before this host opens the
      // volume, so two guests never write it at once.
      const multiAttach = (vol as { spec?: { multiAttach?: boolean } }).spec?.multiAttach === true;
      if (obj.status?.target === undefined && !multiAttach) {
        const cut = await backend.fenceClients(owner, signal);
        if (cut.length > 0) opts.fenced?.(obj, cut);
      }
      return { exists: true, upToDate: true, observed: backend.attachTarget(owner) };
    },
    // Nothing is made for an attachment: observe finds it there or says why not.
    async create() {},
    async update() {},
    async delete() {},
  };
}
