import { Gauge, type Registry } from 'prom-client';

const masterStatusName = 'leader_election_master_status';

/** What a LeaderElector reports; one instance serves every elector of a process. */
export interface LeaderMetrics {
  setLeading(name: string, leading: boolean): void;
}

/**
 * `leader_election_master_status{name}`, the gauge client-go's elector exports, so dashboards
 * and alerts written for Kubernetes components work on kcloud's too. Creating it twice on one
 * registry returns the same gauge instead of failing on the duplicate name.
 */
export function createLeaderMetrics(registry: Registry): LeaderMetrics {
  const existing = registry.getSingleMetric(masterStatusName);
  const gauge =
    existing instanceof Gauge
      ? (existing as Gauge<'name'>)
      : new Gauge({
          name: masterStatusName,
          help:
            'Gauge of if the reporting system is master of the relevant lease, 0 indicates ' +
            "backup, 1 indicates master. 'name' is the string used to identify the lease.",
          labelNames: ['name'] as const,
          registers: [registry],
        });
  return {
    setLeading(name, leading) {
      gauge.set({ name }, leading ? 1 : 0);
    },
  };
}
