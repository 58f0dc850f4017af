// The scheduler's decision for one Instance: check the interfaces it names are limited to its
// Flavor's NIC bandwidth, filter the hosts (Ready, not cordoned, room for its vCPUs and memory,
// its image's architecture, its host group and selector, its volumes' pools, affinity,
// anti-affinity, deployment-set spread), then score what is left (spread or pack, preferred
// terms) and take the best, ties broken by a hash of the instance and the host. Pure:
// everything it reads is passed in, so unit tests drive it without an API server.
import type { KubeObject } from '../../../controllers/kube/index.ts';
import {
  hostLabel,
  simulatedLabel,
  type DeploymentSetObject,
  type FlavorObject,
  type InstanceObject,
} from '../api/index.ts';
import { imageOf, volumeNeeds, type VolumeNeed, type VolumeWorld } from './constraints.ts';
import { refuse, wait, type ScheduleDecision } from './decision.ts';
import type { ComputeHost } from './hosts.ts';
import { placedInstance, type PlacementLedger, type Placements } from './ledger.ts';
import { formatMemory, requestedResources, type Resources } from './resources.ts';
import { matches } from './selector.ts';
import { domainOf, setDomain, topologyView, type TopologyView } from './topology.ts';

/** Spread: the least loaded host first. Pack: the most loaded that fits, leaving hosts empty. */
export type ScoringPolicy = 'Spread' | 'Pack';

export interface ScheduleInput extends VolumeWorld {
  instance: InstanceObject;
  hosts: readonly ComputeHost[];
  /** The same hosts by name, if the caller keeps such a map (else built when needed). */
  hostIndex?: ReadonlyMap<string, ComputeHost>;
  placements: Placements;
  flavor(name: string): FlavorObject | undefined;
  deploymentSet(namespace: string, name: string): DeploymentSetObject | undefined;
  /** A NetworkInterface the instance names, for its bandwidth limits. */
  networkInterface(namespace: string, name: string): InterfaceView | undefined;
  /** The boot Volume made for the instance, once it exists (its pool then decides). */
  bootVolume?: string;
  policy: ScoringPolicy;
}

/** Why a host was left out: a reason for the condition, and words for the message. */
interface Exclusion {
  reason: string;
  text: string;
}

export function schedule(input: ScheduleInput): ScheduleDecision {
  const { instance } = input;
  const uid = instance.metadata.uid ?? '';
  const requested = requestedResources(instance, (name) => input.flavor(name));
  const unlimited = unlimitedInterfaces(instance, input);
  if (unlimited) return unlimited;
  const current = instance.metadata.labels?.[hostLabel] ?? input.placements.hostOf(uid);
  if (current !== undefined) {
    // Bound already (or decided here, the write not yet seen): it stays, holding what it holds
    // — or what a resize asks, when its host has room for it.
    const held = instance.status?.allocated;
    if (held && !('missingFlavor' in requested)) {
      return resize(input, current, held, requested);
    }
    const allocated = held ?? ('missingFlavor' in requested ? undefined : requested);
    if (allocated) return { bind: current, allocated };
  }
  if ('missingFlavor' in requested) {
    return wait(
      'FlavorNotFound',
      `Flavor ${requested.missingFlavor} does not exist: create it (the instance is scheduled once it does), or give resources inline`,
    );
  }
  const reserved = reserveOnlyInterface(instance, input);
  if (reserved) return reserved;
  const image = imageOf(instance, input);
  if (!('metadata' in image)) return image;
  const minMiB = image.spec.minMemoryMiB;
  if (minMiB !== undefined && requested.memoryBytes < minMiB * 1024 ** 2) {
    return refuse(
      'ImageNeedsMoreMemory',
      `Image ${image.metadata.name ?? ''} needs at least ${formatMemory(minMiB * 1024 ** 2)} of memory; the instance has ${formatMemory(requested.memoryBytes)}: choose a larger Flavor`,
    );
  }
  const needs = volumeNeeds(instance, image, input.bootVolume, input);
  if (!Array.isArray(needs)) return needs;
  const setRef = instance.spec.placement?.deploymentSetRef?.name;
  const ns = instance.metadata.namespace ?? '';
  const set = setRef !== undefined ? input.deploymentSet(ns, setRef) : undefined;
  if (setRef !== undefined && !set) {
    return wait('DeploymentSetNotFound', `DeploymentSet ${setRef} does not exist`);
  }
  if (input.hosts.length === 0) {
    return wait('NoHosts', 'no Host is registered: start kcloud-agent on a hypervisor host');
  }
  // Built only when a term or a set needs the hosts of placed instances: a map of thousands of
  // hosts per decision would cost more than the scan.
  let byName = input.hostIndex;
  const hostNamed = (name: string) =>
    (byName ??= new Map(input.hosts.map((h) => [h.name, h]))).get(name);
  const topo = topologyView(instance, hostNamed, input.placements, set);
  const arch = image.spec.arch ?? 'x86_64';
  const fits: ComputeHost[] = [];
  const excluded = new Map<string, { reason: string; texts: Map<string, number> }>();
  const n = input.hosts.length;
  const enough = enoughFits(n);
  const start = n > enough ? tieBreak(uid, '') % n : 0;
  for (let k = 0; k < n && fits.length < enough; k++) {
    const host = input.hosts[(start + k) % n];
    if (!host) continue;
    const why = exclusion(host, {
      instance,
      requested,
      arch,
      needs,
      topo,
      placements: input.placements,
    });
    if (!why) {
      fits.push(host);
      continue;
    }
    const e = excluded.get(why.reason) ?? { reason: why.reason, texts: new Map<string, number>() };
    e.texts.set(why.text, (e.texts.get(why.text) ?? 0) + 1);
    excluded.set(why.reason, e);
  }
  if (fits.length === 0) return noHost(input.hosts.length, [...excluded.values()]);
  const best = choose(fits, requested, instance, input, topo);
  return { bind: best.name, allocated: requested };
}

/** A NetworkInterface as the scheduler reads it: its bandwidth limits, whether it only holds. */
export type InterfaceView = KubeObject & {
  spec?: { bandwidth?: { egressMbps?: number; ingressMbps?: number }; reserveOnly?: boolean };
};

/**
 * An interface that only holds its address (a load balancer's VIP) has a port that answers
 * nothing and gets no DHCP lease: a VM on it would boot without a network. Refused before the
 * instance is placed; one that does not exist yet is the VM handler's wait, as before.
 */
function reserveOnlyInterface(
  instance: InstanceObject,
  input: ScheduleInput,
): ScheduleDecision | undefined {
  const ns = instance.metadata.namespace ?? '';
  for (const nic of instance.spec.networkInterfaces ?? []) {
    const ref = nic.networkInterfaceRef?.name;
    if (ref === undefined || input.networkInterface(ns, ref)?.spec?.reserveOnly !== true) continue;
    return refuse(
      'InterfaceReserveOnly',
      `NetworkInterface ${ref} only holds its address (spec.reserveOnly, as a load balancer's VIP does): its port answers nothing and gives no DHCP lease; attach another interface`,
    );
  }
  return undefined;
}

/**
 * A Flavor's NIC bandwidth is enforced on the interfaces themselves (OVN meters on their ports):
 * the ones the instance makes carry it, the ones it names must already be limited to it each
 * way. One that is not would let the instance run beyond its Flavor: refused, saying what to
 * set. One that does not exist yet is waited for.
 */
function unlimitedInterfaces(
  instance: InstanceObject,
  input: ScheduleInput,
): ScheduleDecision | undefined {
  const name = instance.spec.flavorRef?.name;
  const limit = name !== undefined ? input.flavor(name)?.spec.nicBandwidthMbps : undefined;
  if (limit === undefined) return undefined;
  const ns = instance.metadata.namespace ?? '';
  for (const nic of instance.spec.networkInterfaces ?? []) {
    const ref = nic.networkInterfaceRef?.name;
    if (ref === undefined) continue;
    const eni = input.networkInterface(ns, ref);
    if (!eni) {
      return wait(
        'NetworkInterfaceNotFound',
        `NetworkInterface ${ref} does not exist: create it (its bandwidth must be limited to ${String(limit)} Mbit/s each way, as Flavor ${name ?? ''} asks)`,
      );
    }
    const bw = eni.spec?.bandwidth;
    const over = [
      ...(bw?.egressMbps === undefined || bw.egressMbps > limit ? ['egressMbps'] : []),
      ...(bw?.ingressMbps === undefined || bw.ingressMbps > limit ? ['ingressMbps'] : []),
    ];
    if (over.length > 0) {
      return refuse(
        'NicBandwidthNotLimited',
        `NetworkInterface ${ref} is not limited to the ${String(limit)} Mbit/s each way that Flavor ${name ?? ''} allows: set its spec.bandwidth ${over.map((f) => `${f}: ${String(limit)}`).join(' and ')} (or less), or choose a Flavor without nicBandwidthMbps`,
      );
    }
  }
  return undefined;
}

const vcpus = (n: number) => `${String(n)} vCPU${n === 1 ? '' : 's'}`;

/**
 * A bound instance whose Flavor or resources changed: it gets the new size when its host has
 * room for the difference (less always fits), else keeps what it holds and waits, saying so.
 * It is not moved: a larger size on another host would need a live migration.
 */
function resize(
  input: ScheduleInput,
  current: string,
  held: Resources,
  requested: Resources,
): ScheduleDecision {
  const same = held.vcpu === requested.vcpu && held.memoryBytes === requested.memoryBytes;
  if (same) return { bind: current, allocated: held };
  const uid = input.instance.metadata.uid ?? '';
  const host = (input.hostIndex?.get(current) ?? input.hosts.find((h) => h.name === current))
    ?.allocatable;
  const used = input.placements.used(current);
  const mine = input.placements.resourcesOf(uid) ?? held;
  const vcpu = used.vcpu - mine.vcpu + requested.vcpu;
  const memoryBytes = used.memoryBytes - mine.memoryBytes + requested.memoryBytes;
  const shrinks = requested.vcpu <= held.vcpu && requested.memoryBytes <= held.memoryBytes;
  if (shrinks || (host && vcpu <= host.vcpu && memoryBytes <= host.memoryBytes)) {
    return { bind: current, allocated: requested };
  }
  const short = !host
    ? `Host ${current} reports no capacity`
    : [
        ...(vcpu > host.vcpu ? [vcpus(vcpu - host.vcpu)] : []),
        ...(memoryBytes > host.memoryBytes
          ? [formatMemory(memoryBytes - host.memoryBytes) + ' of memory']
          : []),
      ].join(' and ') + ` short on Host ${current}`;
  return {
    bind: current,
    allocated: held,
    resizeWaits: {
      reason: 'ResizeWaitsForCapacity',
      message: `the new size (${vcpus(requested.vcpu)}, ${formatMemory(requested.memoryBytes)}) does not fit: ${short}; the instance keeps ${vcpus(held.vcpu)} and ${formatMemory(held.memoryBytes)} until room frees there (it is not moved to another host)`,
    },
  };
}

/**
 * How many hosts that fit are enough to choose from: all of them up to 100 hosts; beyond, a
 * share that shrinks as the cluster grows (kube-scheduler's adaptive rule: 50 % less 1 % per
 * 125 hosts, at least 5 %), and never fewer than 100. The scan starts at a host given by a hash
 * of the instance, in the order the hosts are given, so scans spread over the whole cluster and
 * a decision over thousands of hosts costs a fraction of a full scan.
 */
export function enoughFits(hosts: number): number {
  if (hosts <= 100) return hosts;
  const percent = Math.max(5, 50 - hosts / 125);
  return Math.max(100, Math.ceil((hosts * percent) / 100));
}

/**
 * schedule, and on a bind the ledger's assumption of it, in one synchronous step: no other
 * decision can run between the two, so none sees the host without this instance's share.
 */
export function decideAndAssume(
  ledger: PlacementLedger,
  input: Omit<ScheduleInput, 'placements'>,
): ScheduleDecision {
  const decision = schedule({ ...input, placements: ledger });
  const uid = input.instance.metadata.uid ?? '';
  if (!('bind' in decision)) return decision;
  const counted = ledger.resourcesOf(uid);
  if (
    ledger.hostOf(uid) === undefined ||
    counted?.vcpu !== decision.allocated.vcpu ||
    counted.memoryBytes !== decision.allocated.memoryBytes
  ) {
    // A new binding, or a resize: counted at once, before its write.
    ledger.assume(placedInstance(input.instance, decision.bind, decision.allocated));
  }
  return decision;
}

interface Ask {
  instance: InstanceObject;
  requested: Resources;
  arch: string;
  needs: readonly VolumeNeed[];
  topo: TopologyView;
  placements: Placements;
}

function exclusion(host: ComputeHost, ask: Ask): Exclusion | undefined {
  const placement = ask.instance.spec.placement;
  const selector = placement?.hostSelector ?? {};
  if (host.simulated && selector[simulatedLabel] !== 'true') {
    return {
      reason: 'HostSimulated',
      text: `simulated (name ${simulatedLabel}: "true" in hostSelector to use them)`,
    };
  }
  if (!host.ready) return { reason: 'HostNotReady', text: 'not Ready' };
  if (host.cordoned) return { reason: 'HostCordoned', text: 'cordoned (spec.unschedulable)' };
  if (!host.schedulable) return { reason: 'HostNotSchedulable', text: 'not Schedulable' };
  if (!host.allocatable) {
    return { reason: 'HostCapacityUnknown', text: 'without reported capacity' };
  }
  if (host.arch !== ask.arch) {
    return {
      reason: 'ArchMismatch',
      text: `of CPU architecture ${host.arch ?? 'unknown'} (the image is ${ask.arch})`,
    };
  }
  if (placement?.hostGroup !== undefined && host.hostGroup !== placement.hostGroup) {
    return { reason: 'HostGroupMismatch', text: `not in host group ${placement.hostGroup}` };
  }
  if (!matches({ matchLabels: selector }, host.labels)) {
    return { reason: 'HostSelectorMismatch', text: 'not matching hostSelector' };
  }
  for (const need of ask.needs) {
    if (need.pinnedTo !== undefined && need.pinnedTo !== host.name) {
      return {
        reason: 'VolumePinned',
        text: `not ${need.pinnedTo}, where ${need.what} is (Local pool ${need.pool})`,
      };
    }
    if (!host.pools.has(need.pool)) {
      return {
        reason: 'StoragePoolUnreachable',
        text: `not reaching storage pool ${need.pool} (${need.what})`,
      };
    }
  }
  const used = ask.placements.used(host.name);
  const { vcpu, memoryBytes } = host.allocatable;
  if (used.vcpu + ask.requested.vcpu > vcpu) {
    return {
      reason: 'InsufficientCPU',
      text: `short of vCPUs (${String(ask.requested.vcpu)} asked)`,
    };
  }
  if (used.memoryBytes + ask.requested.memoryBytes > memoryBytes) {
    return {
      reason: 'InsufficientMemory',
      text: `short of memory (${formatMemory(ask.requested.memoryBytes)} asked)`,
    };
  }
  for (const t of ask.topo.requiredAffinity) {
    const d = domainOf(host, t.topology);
    if (!t.firstOfGroup && (d === undefined || !t.occupied.has(d))) {
      return {
        reason: 'AffinityNotMet',
        text: `not in the ${t.topology.toLowerCase()} of an instance its affinity selects`,
      };
    }
  }
  const own = [...ask.topo.requiredAnti.map((t) => ({ t, d: domainOf(host, t.topology) }))];
  if (own.some(({ t, d }) => d !== undefined && t.occupied.has(d))) {
    return {
      reason: 'AntiAffinityConflict',
      text: 'holding an instance its anti-affinity selects',
    };
  }
  if (
    (domainOf(host, 'Host') !== undefined && ask.topo.forbidden.has(`host/${host.name}`)) ||
    (host.rack !== undefined && ask.topo.forbidden.has(`rack/${host.rack}`))
  ) {
    return {
      reason: 'AntiAffinityConflict',
      text: 'holding an instance whose anti-affinity selects this one',
    };
  }
  const set = ask.topo.set;
  if (set?.strict) {
    const d = setDomain(set, host);
    if (d === undefined) {
      return {
        reason: 'DeploymentSetFull',
        text: `in no rack (DeploymentSet ${set.name} spreads over racks)`,
      };
    }
    if ((set.counts.get(d) ?? 0) >= set.max) {
      return {
        reason: 'DeploymentSetFull',
        text: `in a ${set.topology.toLowerCase()} holding ${String(set.max)} of DeploymentSet ${set.name} already`,
      };
    }
  }
  return undefined;
}

/** The wait when no host fits: one reason when all hosts failed alike, and the counts. */
function noHost(
  total: number,
  excluded: { reason: string; texts: Map<string, number> }[],
): ScheduleDecision {
  const reasons = new Set(excluded.map((e) => e.reason));
  const capacity = ['InsufficientCPU', 'InsufficientMemory'];
  const reason =
    reasons.size === 1
      ? (excluded[0]?.reason ?? 'Unschedulable')
      : [...reasons].every((r) => capacity.includes(r))
        ? 'InsufficientCapacity'
        : 'Unschedulable';
  const parts = excluded
    .flatMap((e) => [...e.texts].map(([text, n]) => ({ text, n })))
    .sort((a, b) => b.n - a.n || a.text.localeCompare(b.text))
    .map(({ text, n }) => `${String(n)} ${text}`);
  return wait(reason, `0/${String(total)} hosts fit: ${parts.join(', ')}`);
}

function choose(
  fits: readonly ComputeHost[],
  requested: Resources,
  instance: InstanceObject,
  input: ScheduleInput,
  topo: TopologyView,
): ComputeHost {
  let candidates = fits;
  const set = topo.set;
  if (set && !set.strict) {
    // BestEffort: the domains below the set's maximum when there are any, else all of them.
    const under = fits.filter((h) => (set.counts.get(setDomain(set, h) ?? '') ?? 0) < set.max);
    if (under.length > 0) candidates = under;
  }
  const key = instance.metadata.uid ?? '';
  let best: { host: ComputeHost; score: number; tie: number } | undefined;
  for (const host of candidates) {
    const score = hostScore(host, requested, input, topo);
    if (best === undefined || score > best.score) {
      best = { host, score, tie: -1 };
      continue;
    }
    if (score === best.score) {
      if (best.tie < 0) best.tie = tieBreak(key, best.host.name);
      const tie = tieBreak(key, host.name);
      if (tie > best.tie) best = { host, score, tie };
    }
  }
  if (!best) throw new Error('choose: no candidates');
  return best.host;
}

function hostScore(
  host: ComputeHost,
  requested: Resources,
  input: ScheduleInput,
  topo: TopologyView,
): number {
  const alloc = host.allocatable ?? { vcpu: 1, memoryBytes: 1 };
  const used = input.placements.used(host.name);
  const cpu = (used.vcpu + requested.vcpu) / Math.max(alloc.vcpu, 1);
  const mem = (used.memoryBytes + requested.memoryBytes) / Math.max(alloc.memoryBytes, 1);
  const load = (cpu + mem) / 2;
  // Rounded, so that hosts equal but for float noise tie and the hash decides among them.
  let score = Math.round(100 * (input.policy === 'Pack' ? load : 1 - load) * 1000) / 1000;
  for (const t of topo.preferredAffinity) {
    const d = domainOf(host, t.topology);
    if (d !== undefined && t.occupied.has(d)) score += t.weight;
  }
  for (const t of topo.preferredAnti) {
    const d = domainOf(host, t.topology);
    if (d === undefined || !t.occupied.has(d)) score += t.weight;
  }
  const set = topo.set;
  if (set) score -= (100 * (set.counts.get(setDomain(set, host) ?? '') ?? 0)) / set.max;
  return score;
}

/** FNV-1a of the instance's uid and the host's name: a deterministic, well-spread tie-break. */
function tieBreak(key: string, host: string): number {
  let h = 0x811c9dc5;
  for (const s of [key, '\0', host]) {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h;
}
