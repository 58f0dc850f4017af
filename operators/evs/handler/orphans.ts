// Data whose owner is gone — a Volume, VolumeSnapshot or Image force-deleted (finalizer removed
// by hand), a cluster restored from an older backup — is moved aside in its pool, never deleted:
// only the owner's own deletion, or an administrator, deletes data.
import { realClock } from '../../../controllers/clock/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { OrphanSweeper, type OwnerKind } from '../../../controllers/orphans/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import type { OwnedObject } from '../backend/index.ts';
import { poolScope } from '../controller/placement/decision.ts';
import type { PoolBackends } from './pool-backends.ts';

interface PooledObject extends OwnedObject {
  pool: string;
}

export interface EvsOrphanOptions {
  mgr: Manager;
  pools: Informer<StoragePoolObject>;
  backends: PoolBackends;
  /** This host's informers of the owner kinds, and their resources for live reads. */
  owners: Record<
    'Volume' | 'VolumeSnapshot' | 'Image',
    { informer: Informer<KubeObject>; resource: ResourceRef }
  >;
  periodMs: number;
}

/**
 * Sweeps the Local file pools of this host: their data is seen by this host only. Objects of
 * Shared and RBD pools are seen by every host and are not swept here.
 */
export function addEvsOrphanSweep(opts: EvsOrphanOptions): OrphanSweeper<PooledObject> {
  const { mgr } = opts;
  const owners: Record<string, OwnerKind> = {};
  for (const [kind, o] of Object.entries(opts.owners)) {
    owners[kind] = { informer: o.informer, live: mgr.client<KubeObject>(o.resource) };
  }
  const sweeper = new OrphanSweeper<PooledObject>({
    controller: 'evs-orphans',
    owners,
    list: async (signal) => {
      const out: PooledObject[] = [];
      for (const pool of opts.pools.cache.list()) {
        if (pool.spec.type !== 'File' || poolScope(pool) !== 'Local') continue;
        const name = pool.metadata.name ?? '';
        const backend = await opts.backends.backendFor(name, signal).catch(() => undefined);
        if (!backend) continue;
        for (const obj of await backend.listObjects(signal)) {
          if (obj.state === 'active') out.push({ ...obj, pool: name });
        }
      }
      return out;
    },
    policy: {
      action: 'quarantine',
      quarantine: async (obj, signal) => {
        const backend = await opts.backends.backendFor(obj.pool, signal);
        const ref =
          obj.kind === 'VolumeSnapshot'
            ? { ...obj.owner, volumeUid: obj.volumeUid ?? '' }
            : obj.owner;
        await backend.quarantine(obj.kind, ref, signal);
      },
    },
    log: mgr.log.child({ runnable: 'evs-orphans' }),
    registry: mgr.registry,
  });
  mgr.addRunnable({
    name: 'evs-orphans',
    run: (signal) => sweeper.run(signal, { periodMs: opts.periodMs, clock: realClock }),
  });
  return sweeper;
}
