// Affinity, anti-affinity and deployment-set spread over failure domains (a host, or a rack):
// which domains already hold which instances, computed once per decision from the ledger.
import type { DeploymentSetObject, InstanceObject } from '../api/index.ts';
import type { ComputeHost } from './hosts.ts';
import type { PlacedInstance, Placements, TopologyKey } from './ledger.ts';
import { matches, type LabelSelector } from './selector.ts';

/** The domain of a host under a topology; a host without a rack label is in no rack. */
export function domainOf(host: ComputeHost | undefined, topology: TopologyKey): string | undefined {
  if (!host) return undefined;
  return topology === 'Host'
    ? `host/${host.name}`
    : host.rack !== undefined
      ? `rack/${host.rack}`
      : undefined;
}

export interface Term {
  selector: LabelSelector;
  topology: TopologyKey;
  weight: number;
  /** Domains holding an instance the selector matches. */
  occupied: ReadonlySet<string>;
  /** Nothing matches anywhere, and the instance matches its own selector: the first of a group. */
  firstOfGroup: boolean;
}

export interface TopologyView {
  requiredAffinity: Term[];
  requiredAnti: Term[];
  preferredAffinity: Term[];
  preferredAnti: Term[];
  /** Domains placed instances' own required anti-affinity forbids this instance. */
  forbidden: ReadonlySet<string>;
  set?: {
    name: string;
    topology: TopologyKey;
    strict: boolean;
    max: number;
    /** Instances of the set per domain. */
    counts: ReadonlyMap<string, number>;
  };
}

export function topologyView(
  instance: InstanceObject,
  hostNamed: (name: string) => ComputeHost | undefined,
  placements: Placements,
  deploymentSet: DeploymentSetObject | undefined,
): TopologyView {
  const uid = instance.metadata.uid ?? '';
  const ns = instance.metadata.namespace ?? '';
  const labels = instance.metadata.labels ?? {};
  const placement = instance.spec.placement;
  // The instances a selector may match: those carrying its rarest matchLabels pair, else all.
  const candidates = (selector: LabelSelector): Iterable<PlacedInstance> => {
    let best: ReadonlyMap<string, PlacedInstance> | undefined;
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
      const m = placements.withLabel(ns, k, v);
      if (best === undefined || m.size < best.size) best = m;
    }
    return best?.values() ?? placements.inNamespace(ns);
  };
  const terms = (list: NonNullable<typeof placement>['affinity'], type: string) =>
    (list ?? [])
      .filter((t) => t.type === type)
      .map((t): Term => {
        const occupied = new Set<string>();
        for (const p of candidates(t.selector)) {
          if (p.uid === uid || !matches(t.selector, p.labels)) continue;
          const d = domainOf(hostNamed(p.host), t.topology);
          if (d !== undefined) occupied.add(d);
        }
        return {
          selector: t.selector,
          topology: t.topology,
          weight: t.weight ?? 1,
          occupied,
          firstOfGroup: occupied.size === 0 && matches(t.selector, labels),
        };
      });
  const forbidden = new Set<string>();
  for (const p of placements.withAntiAffinity(ns)) {
    if (p.uid === uid) continue;
    for (const t of p.antiAffinity) {
      if (!matches(t.selector, labels)) continue;
      const d = domainOf(hostNamed(p.host), t.topology);
      if (d !== undefined) forbidden.add(d);
    }
  }
  const view: TopologyView = {
    requiredAffinity: terms(placement?.affinity, 'Required'),
    requiredAnti: terms(placement?.antiAffinity, 'Required'),
    preferredAffinity: terms(placement?.affinity, 'Preferred'),
    preferredAnti: terms(placement?.antiAffinity, 'Preferred'),
    forbidden,
  };
  if (deploymentSet) {
    const name = deploymentSet.metadata.name ?? '';
    const topology = deploymentSet.spec.topology ?? 'Host';
    const strict = (deploymentSet.spec.policy ?? 'Strict') === 'Strict';
    const counts = new Map<string, number>();
    for (const p of placements.inDeploymentSet(ns, name)) {
      if (p.uid === uid) continue;
      const host = hostNamed(p.host);
      const d = domainOf(host, topology) ?? (strict ? undefined : `host/${p.host}`);
      if (d !== undefined) counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    view.set = { name, topology, strict, max: deploymentSet.spec.maxPerDomain ?? 1, counts };
  }
  return view;
}

/** The set's domain of a host: under BestEffort a host without a rack is a domain of its own. */
export function setDomain(
  view: NonNullable<TopologyView['set']>,
  host: ComputeHost,
): string | undefined {
  return domainOf(host, view.topology) ?? (view.strict ? undefined : `host/${host.name}`);
}
