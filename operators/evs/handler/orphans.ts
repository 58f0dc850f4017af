// Data whose owner is gone — a Volume, VolumeSnapshot or Image force-deleted (finalizer removed
// by hand), a cluster restored from an older backup — is moved aside in its pool, never deleted:
// only the owner's own deletion, or an administrator, deletes data.
import { realClock } from '../../../controllers/clock/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import {
  OrphanSweeper,
  type OrphanPolicy,
  type OwnerKind,
} from '../../../controllers/orphans/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import type { OwnedObject } from '../backend/index.ts';
import { poolScope } from '../controller/placement/decision.ts';
import type { PoolBackends } from './pool-backends.ts';

export interface PooledObject extends OwnedObject {
  pool: string;
}

/** Data is moved aside in its own pool, never deleted. */
export function quarantineInPool(backends: PoolBackends): OrphanPolicy<PooledObject> {
  return {
    action: 'quarantine',
    quarantine: async (obj, signal) => {
      const backend = await backends.backendFor(obj.pool, signal);
      const ref =
        obj.kind === 'VolumeSnapshot'
          ? { ...obj.owner, volumeUid: obj.volumeUid ?? '' }
          : obj.owner;
      await backend.quarantine(obj.kind, ref, signal);
    },
  };
}

/** The active objects of the named pools, each with its pool's name. */
export async function activeObjects(
  backends: PoolBackends,
  pools: readonly string[],
  signal: AbortSignal,
): Promise<PooledObject[]> {
  const out: PooledObject[] = [];
  for (const name of pools) {
    const backend = await backends.backendFor(name, signal).catch(() => undefined);
    if (!backend) continue;
    for (const obj of await backend.listObjects(signal)) {
      if (obj.state === 'active') out.push({ ...obj, pool: name });
    }
  }
  return out;
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
 * Sweeps the Local file pools of this host: their data is seen by this host only. Shared and
 * RBD pools are swept by one host each (shared-orphans.ts).
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
    list: (signal) =>
      activeObjects(
        opts.backends,
        opts.pools.cache
          .list()
          .filter((p) => poolScope(p) === 'Local')
          .map((p) => p.metadata.name ?? ''),
        signal,
      ),
    policy: quarantineInPool(opts.backends),
    log: mgr.log.child({ runnable: 'evs-orphans' }),
    registry: mgr.registry,
  });
  mgr.addRunnable({
    name: 'evs-orphans',
    run: (signal) => sweeper.run(signal, { periodMs: opts.periodMs, clock: realClock }),
  });
  return sweeper;
}
