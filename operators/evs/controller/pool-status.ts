// A StoragePool's status comes from the hosts: how many Ready hosts reach it and how much room
// they see. It has no backend of its own to create: the agents reach the pool.
import type { ExternalClient } from '../../../controllers/external/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import { poolScope } from './placement/decision.ts';
import type { HostView } from './placement/hosts.ts';

export interface PoolReport {
  reachableHosts: number;
  capacityBytes?: number;
  availableBytes?: number;
}

/**
 * What the Ready hosts report of a pool. A Local pool is one directory per host: its room is
 * the sum. A Shared or RBD pool is one thing seen from every host: the largest report (they
 * differ only by when each host looked).
 */
export function poolReport(pool: StoragePoolObject, hosts: readonly HostView[]): PoolReport {
  const name = pool.metadata.name ?? '';
  const seen = hosts.filter((h) => h.ready).flatMap((h) => h.pools.get(name) ?? []);
  if (seen.length === 0) return { reachableHosts: 0 };
  const local = poolScope(pool) === 'Local';
  const fold = (f: (p: { capacityBytes: number; availableBytes: number }) => number) =>
    local ? seen.reduce((a, p) => a + f(p), 0) : Math.max(...seen.map(f));
  return {
    reachableHosts: seen.length,
    capacityBytes: fold((p) => p.capacityBytes),
    availableBytes: fold((p) => p.availableBytes),
  };
}

/** Observes a pool through the hosts' reports; Provisioning while no Ready host reaches it. */
export function poolStatusClient(
  hosts: () => readonly HostView[],
): ExternalClient<StoragePoolObject, PoolReport> {
  return {
    observe(pool) {
      // Nothing to wait for: the answer is in the caches.
      return Promise.resolve().then(() => {
        const report = poolReport(pool, hosts());
        if (report.reachableHosts === 0) {
          return {
            exists: false,
            upToDate: false,
            observed: report,
            inProgress: {
              reason: 'NoHostReachesPool',
              message:
                'no Ready host reports this pool yet: check that the agents run and can reach it (for a file pool, that the path can be created; for RBD, the monitors, user and key)',
              requeueAfterMs: 30_000,
            },
          };
        }
        return { exists: true, upToDate: true, observed: report };
      });
    },
    async create() {},
    async update() {},
    async delete() {},
  };
}
