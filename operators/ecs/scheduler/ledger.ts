// The scheduler's ledger of what every host holds: the instances the informer's cache shows
// bound (the ecs.kcloud.io/host label) plus those this process decided to bind but whose write
// the cache does not show yet ("assumed", as kube-scheduler's assume cache). Decisions read it,
// so a burst of decisions made before the cache shows the bindings never over-commits a host.
//
// How the controller keeps it exact:
// - observe(instance) for every add/update the informer delivers, remove(uid) for a delete;
// - assume(placed) right after a bind decision, in the same synchronous step (decideAndAssume
//   does both, so no other decision runs in between), before the binding write;
// - forget(uid) when that write fails (the decision did not happen);
// - nothing on success: the cache's next event with the label confirms the assumption, and it
//   counts once whether that event comes before or after the write's response.
import { hostLabel, type InstanceObject } from '../api/index.ts';
import type { Resources } from './resources.ts';
import type { LabelSelector } from './selector.ts';

export type TopologyKey = 'Host' | 'Rack';

/** A required anti-affinity term of a placed instance: kept both ways. */
export interface RequiredTerm {
  selector: LabelSelector;
  topology: TopologyKey;
}

export interface PlacedInstance {
  uid: string;
  namespace: string;
  name: string;
  host: string;
  resources: Resources;
  labels: Readonly<Record<string, string>>;
  /** The DeploymentSet it names (in its namespace). */
  deploymentSet?: string;
  /** Its required anti-affinity terms, which instances placed later must respect too. */
  antiAffinity: readonly RequiredTerm[];
}

interface Entry {
  placed: PlacedInstance;
  /** Decided here, not yet seen bound in the cache. */
  assumed: boolean;
}

export interface HostUse extends Resources {
  instances: number;
}

/** A read-only view of the ledger: what a decision needs. */
export interface Placements {
  used(host: string): HostUse;
  /** Placed instances of a namespace (for affinity). */
  inNamespace(namespace: string): Iterable<PlacedInstance>;
  /** Placed instances of a namespace carrying label `key` with `value`, and how many. */
  withLabel(namespace: string, key: string, value: string): ReadonlyMap<string, PlacedInstance>;
  /** Placed instances of a namespace that carry required anti-affinity terms. */
  withAntiAffinity(namespace: string): Iterable<PlacedInstance>;
  /** Placed instances naming a DeploymentSet. */
  inDeploymentSet(namespace: string, name: string): Iterable<PlacedInstance>;
  /** Where the ledger has an instance, if anywhere. */
  hostOf(uid: string): string | undefined;
  /** What the ledger counts an instance as holding, if it has it. */
  resourcesOf(uid: string): Resources | undefined;
}

const none: HostUse = { vcpu: 0, memoryBytes: 0, instances: 0 };
const empty: ReadonlyMap<string, PlacedInstance> = new Map();
const labelKey = (namespace: string, key: string, value: string) =>
  `${namespace}\0${key}\0${value}`;

function sameResources(a: Resources, b: Resources): boolean {
  return a.vcpu === b.vcpu && a.memoryBytes === b.memoryBytes;
}

/** Groups entries by a key, keeping each group's members by uid. */
class Index {
  private readonly groups = new Map<string, Map<string, PlacedInstance>>();
  add(key: string, p: PlacedInstance): void {
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = new Map<string, PlacedInstance>()));
    g.set(p.uid, p);
  }
  delete(key: string, uid: string): void {
    const g = this.groups.get(key);
    if (!g) return;
    g.delete(uid);
    if (g.size === 0) this.groups.delete(key);
  }
  get(key: string): Iterable<PlacedInstance> {
    return this.groups.get(key)?.values() ?? [];
  }
  members(key: string): ReadonlyMap<string, PlacedInstance> {
    return this.groups.get(key) ?? empty;
  }
}

export class PlacementLedger implements Placements {
  private readonly entries = new Map<string, Entry>();
  private readonly perHost = new Map<string, HostUse>();
  private readonly byNamespace = new Index();
  private readonly antiAffinityHolders = new Index();
  private readonly bySet = new Index();
  private readonly byLabel = new Index();

  /**
   * An instance as the informer's cache shows it. Bound (the host label): counted on that host
   * with what it holds (status.allocated, else `resolve` of its spec: the label and the status
   * are two writes). Not bound: an assumption of ours stays (the cache has not caught up with
   * our write yet); anything else is dropped (the instance was unbound).
   */
  observe(instance: InstanceObject, resolve: (i: InstanceObject) => Resources | undefined): void {
    const uid = instance.metadata.uid ?? '';
    const host = instance.metadata.labels?.[hostLabel];
    const entry = this.entries.get(uid);
    if (host === undefined) {
      if (entry && !entry.assumed) this.drop(uid);
      return;
    }
    const allocated = instance.status?.allocated;
    // A resize decided here (on the same host) whose status write the cache does not show
    // yet: the new size stays counted until the cache shows it, so no decision meanwhile
    // counts the host's room twice.
    if (
      entry?.assumed &&
      entry.placed.host === host &&
      allocated !== undefined &&
      !sameResources(allocated, entry.placed.resources)
    ) {
      return;
    }
    const resources =
      allocated !== undefined
        ? { vcpu: allocated.vcpu, memoryBytes: allocated.memoryBytes }
        : entry?.placed.host === host
          ? entry.placed.resources
          : resolve(instance);
    if (resources === undefined) {
      // Bound, but what it holds cannot be told (its Flavor is gone and status lacks it): count
      // nothing rather than guess, and keep an assumption of ours if there is one.
      if (entry && !entry.assumed) this.drop(uid);
      return;
    }
    this.put({ placed: placedInstance(instance, host, resources), assumed: false });
  }

  /** The informer says the instance is gone. */
  remove(uid: string): void {
    this.drop(uid);
  }

  /** A bind decision of ours, before its write. */
  assume(placed: PlacedInstance): void {
    this.put({ placed, assumed: true });
  }

  /** The binding write failed: the decision did not happen. A confirmed entry stays. */
  forget(uid: string): void {
    if (this.entries.get(uid)?.assumed) this.drop(uid);
  }

  /** Whether the instance is counted on an assumption not yet seen in the cache. */
  isAssumed(uid: string): boolean {
    return this.entries.get(uid)?.assumed === true;
  }

  used(host: string): HostUse {
    return this.perHost.get(host) ?? none;
  }

  hostOf(uid: string): string | undefined {
    return this.entries.get(uid)?.placed.host;
  }

  resourcesOf(uid: string): Resources | undefined {
    return this.entries.get(uid)?.placed.resources;
  }

  inNamespace(namespace: string): Iterable<PlacedInstance> {
    return this.byNamespace.get(namespace);
  }

  withLabel(namespace: string, key: string, value: string): ReadonlyMap<string, PlacedInstance> {
    return this.byLabel.members(labelKey(namespace, key, value));
  }

  withAntiAffinity(namespace: string): Iterable<PlacedInstance> {
    return this.antiAffinityHolders.get(namespace);
  }

  inDeploymentSet(namespace: string, name: string): Iterable<PlacedInstance> {
    return this.bySet.get(`${namespace}/${name}`);
  }

  /** How many instances the ledger counts, and how many of them on an assumption. */
  size(): { instances: number; assumed: number } {
    let assumed = 0;
    for (const e of this.entries.values()) if (e.assumed) assumed++;
    return { instances: this.entries.size, assumed };
  }

  private put(entry: Entry): void {
    this.drop(entry.placed.uid);
    const p = entry.placed;
    this.entries.set(p.uid, entry);
    const use = this.used(p.host);
    this.perHost.set(p.host, {
      vcpu: use.vcpu + p.resources.vcpu,
      memoryBytes: use.memoryBytes + p.resources.memoryBytes,
      instances: use.instances + 1,
    });
    this.byNamespace.add(p.namespace, p);
    for (const [k, v] of Object.entries(p.labels)) this.byLabel.add(labelKey(p.namespace, k, v), p);
    if (p.antiAffinity.length > 0) this.antiAffinityHolders.add(p.namespace, p);
    if (p.deploymentSet !== undefined) this.bySet.add(`${p.namespace}/${p.deploymentSet}`, p);
  }

  private drop(uid: string): void {
    const entry = this.entries.get(uid);
    if (!entry) return;
    const p = entry.placed;
    this.entries.delete(uid);
    const use = this.used(p.host);
    if (use.instances <= 1) this.perHost.delete(p.host);
    else {
      this.perHost.set(p.host, {
        vcpu: use.vcpu - p.resources.vcpu,
        memoryBytes: use.memoryBytes - p.resources.memoryBytes,
        instances: use.instances - 1,
      });
    }
    this.byNamespace.delete(p.namespace, uid);
    for (const [k, v] of Object.entries(p.labels))
      this.byLabel.delete(labelKey(p.namespace, k, v), uid);
    this.antiAffinityHolders.delete(p.namespace, uid);
    if (p.deploymentSet !== undefined) this.bySet.delete(`${p.namespace}/${p.deploymentSet}`, uid);
  }
}

/** The ledger's record of `instance` on `host`, holding `resources`. */
export function placedInstance(
  instance: InstanceObject,
  host: string,
  resources: Resources,
): PlacedInstance {
  const placement = instance.spec.placement;
  const set = placement?.deploymentSetRef?.name;
  return {
    uid: instance.metadata.uid ?? '',
    namespace: instance.metadata.namespace ?? '',
    name: instance.metadata.name ?? '',
    host,
    resources,
    labels: instance.metadata.labels ?? {},
    ...(set !== undefined ? { deploymentSet: set } : {}),
    antiAffinity: (placement?.antiAffinity ?? [])
      .filter((t) => t.type === 'Required')
      .map((t) => ({ selector: t.selector, topology: t.topology })),
  };
}
