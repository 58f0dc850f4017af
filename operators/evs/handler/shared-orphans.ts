// Shared file pools and RBD pools are seen from every host that reaches them, while the owners
// of their data are bound to any of those hosts. So one host sweeps each such pool — the Ready
// host reaching it with the highest rendezvous score, the same choice on every host — and it
// judges owners by a fresh LIST of each kind, not by its own host-bound caches (which hold only
// what is bound to it). Two hosts that disagree for a moment both quarantine at worst, which
// the live GET before acting and the pool's own no-clobber rename make harmless.
import { realClock } from '../../../controllers/clock/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import type { KubeObject, ObjectClient, ResourceRef } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { OrphanSweeper, type OwnerKind } from '../../../controllers/orphans/index.ts';
import type { HostObject } from '../../ecs/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import { poolScope } from '../controller/placement/decision.ts';
import { hostView, rendezvousScore, type HostLike } from '../controller/placement/hosts.ts';
import { activeObjects, quarantineInPool, type PooledObject } from './orphans.ts';
import type { PoolBackends } from './pool-backends.ts';

/** The host that sweeps a pool: the Ready host reaching it with the highest score. */
export function sweeperOf(pool: string, hosts: readonly HostLike[]): string | undefined {
  let best: { name: string; score: bigint } | undefined;
  for (const h of hosts.map(hostView)) {
    if (!h.ready || !h.pools.has(pool)) continue;
    const score = rendezvousScore(`orphans/${pool}`, h.name);
    if (!best || score > best.score) best = { name: h.name, score };
  }
  return best?.name;
}

/** An owner kind judged from one LIST made after the pools were listed. */
class ListedOwners {
  private items: KubeObject[] = [];
  readonly cache = { list: () => this.items };
  private readonly client: ObjectClient<KubeObject>;
  constructor(client: ObjectClient<KubeObject>) {
    this.client = client;
  }
  hasSynced(): boolean {
    return true;
  }
  async refresh(signal: AbortSignal): Promise<void> {
    this.items = await this.client.listAll({ signal });
  }
}

export interface SharedOrphanOptions {
  mgr: Manager;
  /** This agent's host. */
  host: string;
  pools: Informer<StoragePoolObject>;
  hosts: ResourceRef;
  backends: PoolBackends;
  owners: Record<'Volume' | 'VolumeSnapshot' | 'Image', ResourceRef>;
  periodMs: number;
}

export function addEvsSharedOrphanSweep(opts: SharedOrphanOptions): OrphanSweeper<PooledObject> {
  const { mgr } = opts;
  const listed = new Map<string, ListedOwners>();
  const owners: Record<string, OwnerKind> = {};
  for (const [kind, resource] of Object.entries(opts.owners)) {
    const live = mgr.client<KubeObject>(resource);
    const informer = new ListedOwners(live);
    listed.set(kind, informer);
    owners[kind] = { informer, live };
  }
  const hostClient = mgr.client<HostObject>(opts.hosts);
  const sweeper = new OrphanSweeper<PooledObject>({
    controller: 'evs-orphans-shared',
    owners,
    list: async (signal) => {
      const shared = opts.pools.cache.list().filter((p) => poolScope(p) === 'Shared');
      if (shared.length === 0) return [];
      const hosts = await hostClient.listAll({ signal });
      const mine = shared
        .map((p) => p.metadata.name ?? '')
        .filter((name) => sweeperOf(name, hosts) === opts.host);
      const objects = await activeObjects(opts.backends, mine, signal);
      // Listed after the pools: an owner exists in the API server before anything of it is
      // written to a pool, so a new owner's data is never judged against an older list.
      if (objects.length > 0) {
        await Promise.all([...listed.values()].map((o) => o.refresh(signal)));
      }
      return objects;
    },
    policy: quarantineInPool(opts.backends),
    log: mgr.log.child({ runnable: 'evs-orphans-shared' }),
    registry: mgr.registry,
  });
  mgr.addRunnable({
    name: 'evs-orphans-shared',
    run: (signal) => sweeper.run(signal, { periodMs: opts.periodMs, clock: realClock }),
  });
  return sweeper;
}
