// How a DeploymentSet is spread now: its members (the Instances naming it), how many of them
// each host or rack holds, and whether a Strict set still holds — no domain beyond
// maxPerDomain, and room left in the usable domains for the members still waiting. Pure: the
// caches are passed in.
import { hostLabel } from '../../../../controllers/host/index.ts';
import {
  maxPlacementEntries,
  simulatedLabel,
  type DeploymentSetObject,
  type DeploymentSetStatus,
  type InstanceObject,
} from '../../api/index.ts';
import { domainOf, type ComputeHost } from '../../scheduler/index.ts';

export type SpreadStatus = Required<
  Pick<DeploymentSetStatus, 'members' | 'instances' | 'unscheduled' | 'domains' | 'placement'>
>;

export interface Spread {
  status: SpreadStatus;
  /** Why a Strict set no longer holds; undefined while it does (or for BestEffort). */
  problem?: { reason: string; message: string };
}

/** The hosts instances can go to now: Ready, not cordoned, schedulable, capacity reported. */
function usable(host: ComputeHost, simulatedAllowed: boolean): boolean {
  return (
    host.ready &&
    !host.cordoned &&
    host.schedulable &&
    host.allocatable !== undefined &&
    (!host.simulated || simulatedAllowed)
  );
}

const plural = (n: number, word: string) => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

export function setSpread(
  set: DeploymentSetObject,
  members: readonly InstanceObject[],
  hosts: readonly ComputeHost[],
): Spread {
  const topology = set.spec.topology ?? 'Host';
  const strict = (set.spec.policy ?? 'Strict') === 'Strict';
  const max = set.spec.maxPerDomain ?? 1;
  const byName = new Map(hosts.map((h) => [h.name, h]));
  // As the scheduler counts: under BestEffort a host without a rack is a domain of its own.
  const domain = (hostName: string) =>
    topology === 'Host'
      ? `host/${hostName}`
      : (domainOf(byName.get(hostName), topology) ?? (strict ? undefined : `host/${hostName}`));

  const counts = new Map<string, number>();
  let placed = 0;
  let unscheduled = 0;
  let simulatedAllowed = false;
  for (const m of members) {
    if (m.spec.placement?.hostSelector?.[simulatedLabel] === 'true') simulatedAllowed = true;
    const host = m.metadata.labels?.[hostLabel];
    if (host === undefined) {
      if (!m.metadata.deletionTimestamp) unscheduled++;
      continue;
    }
    placed++;
    const d = domain(host);
    if (d !== undefined) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const placement = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, maxPlacementEntries)
    .map(([d, instances]) => ({ domain: d, instances }));
  const status: SpreadStatus = {
    members: members.length,
    instances: placed,
    unscheduled,
    domains: counts.size,
    placement,
  };
  if (!strict) return { status };

  const over = placement.filter((p) => p.instances > max);
  if (over.length > 0) {
    const shown = over
      .slice(0, 3)
      .map((p) => `${p.domain} holds ${String(p.instances)}`)
      .join(', ');
    return {
      status,
      problem: {
        reason: 'SpreadViolated',
        message: `${shown}${over.length > 3 ? ', ...' : ''} of the set, more than maxPerDomain ${String(max)} (it was lowered after they were placed): move or delete instances, or raise maxPerDomain`,
      },
    };
  }
  if (unscheduled === 0) return { status };
  const domains = new Set<string>();
  for (const h of hosts) {
    if (!usable(h, simulatedAllowed)) continue;
    const d = domainOf(h, topology);
    if (d !== undefined) domains.add(d);
  }
  let room = 0;
  for (const d of domains) room += Math.max(0, max - (counts.get(d) ?? 0));
  if (unscheduled <= room) return { status };
  const unit = topology === 'Host' ? 'host' : 'rack';
  return {
    status,
    problem: {
      reason: topology === 'Host' ? 'InsufficientHosts' : 'InsufficientRacks',
      message: `${plural(unscheduled, 'instance')} of the set wait for a host, but the usable ${unit}s (${String(domains.size)}) have room for ${String(room)} more at maxPerDomain ${String(max)}: add ${unit}s, raise maxPerDomain, or make the set BestEffort`,
    },
  };
}
