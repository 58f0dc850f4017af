// What the scheduler needs to know of a Host, read once per Host change from its status and
// labels (not once per decision): whether new instances may go there, what they may use, its
// CPU architecture, its place in the topology and the storage pools it reaches.
import { isConditionTrue } from '../../../controllers/index.ts';
import {
  schedulableCondition,
  simulatedLabel,
  topologyLabels,
  type HostObject,
} from '../api/index.ts';
import type { Resources } from './resources.ts';

export interface ComputeHost {
  name: string;
  /** The manager's Ready condition is True: the agent heartbeats and reports no problem. */
  ready: boolean;
  /** spec.unschedulable: cordoned by an operator of the cloud. */
  cordoned: boolean;
  /** The manager's Schedulable condition is True (Ready and not cordoned, as it last saw). */
  schedulable: boolean;
  /** What instances may use, overcommit folded in (the agent's --cpu-overcommit); unreported: undefined. */
  allocatable: Resources | undefined;
  /** status.cpu.arch: x86_64, aarch64 or other; unreported: undefined. */
  arch: string | undefined;
  labels: Readonly<Record<string, string>>;
  /** topology.kcloud.io/rack; a host without it is in no rack. */
  rack: string | undefined;
  /** topology.kcloud.io/host-group. */
  hostGroup: string | undefined;
  /** Storage pools the host reaches. */
  pools: ReadonlySet<string>;
  /** An agent answers for it without a machine (host.kcloud.io/simulated=true). */
  simulated: boolean;
}

export function computeHost(host: HostObject): ComputeHost {
  const labels = host.metadata.labels ?? {};
  const a = host.status?.allocatable;
  return {
    name: host.metadata.name ?? '',
    ready: isConditionTrue(host.status?.conditions, 'Ready'),
    cordoned: host.spec.unschedulable === true,
    schedulable: isConditionTrue(host.status?.conditions, schedulableCondition),
    allocatable: a ? { vcpu: a.vcpu, memoryBytes: a.memoryBytes } : undefined,
    arch: host.status?.cpu?.arch,
    labels,
    rack: labels[topologyLabels.rack],
    hostGroup: labels[topologyLabels.hostGroup],
    pools: new Set((host.status?.storagePools ?? []).map((p) => p.name)),
    simulated: labels[simulatedLabel] === 'true',
  };
}

/** Whether the scheduler sees two readings of a host alike (its counters are not read). */
export function sameComputeHost(a: ComputeHost, b: ComputeHost): boolean {
  const sameLabels = (x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>) => {
    const keys = Object.keys(x);
    return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
  };
  return (
    a.name === b.name &&
    a.ready === b.ready &&
    a.cordoned === b.cordoned &&
    a.schedulable === b.schedulable &&
    a.allocatable?.vcpu === b.allocatable?.vcpu &&
    a.allocatable?.memoryBytes === b.allocatable?.memoryBytes &&
    a.arch === b.arch &&
    a.simulated === b.simulated &&
    sameLabels(a.labels, b.labels) &&
    a.pools.size === b.pools.size &&
    [...a.pools].every((p) => b.pools.has(p))
  );
}
