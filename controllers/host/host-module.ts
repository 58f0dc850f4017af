// What a product hands the agent to run on a host, as an Operator is what it hands the manager:
// its name, flags and settings, its RBAC, the host-bound kinds it writes (for the admission
// policy that keeps each agent to its own host's objects), and how it registers its
// controllers. The agent knows no product.
import type { Informer, IndexFunc } from '../informer/index.ts';
import type { KubeObject, ResourceRef } from '../kube/index.ts';
import type { FlagSpecs, FlagValues, Manager, PolicyRule } from '../manager/index.ts';
import type { HostBoundResource } from './host-bound.ts';

export interface HostModuleContext {
  /** The agent's manager: no leader election, its own health and metrics. */
  mgr: Manager;
  /** The hosts this process answers for: its own, or the N simulated ones. */
  hosts: readonly string[];
  /** The hosts are simulated: answer for their objects without running anything. */
  simulated: boolean;
  /**
   * The shared informer of a host-bound kind, watching only the objects bound to these hosts
   * (label ecs.kcloud.io/host): 5,000 agents do not each cache every object of the cloud.
   */
  informer<T extends KubeObject>(
    ref: ResourceRef,
    opts?: { namespace?: string; indexers?: Record<string, IndexFunc<T>> },
  ): Informer<T>;
  /** The module's own field manager, `kcloud-agent-<module>`, for its part of a status. */
  fieldManager: string;
  /** The module's folder in the agent's state dir (`<state-dir>/<module>`): survives restarts. */
  stateDir: string;
  /**
   * The namespace of the hosts' Leases, and of the Secrets the manager hands agents (the only
   * Secrets an agent may read).
   */
  hostsNamespace: string;
}

export interface HostModule<Config = unknown> {
  name: string;
  /** The flags the module reads; always accepted and shown in --help. */
  flags: FlagSpecs;
  /** Turns the parsed flags into the module's settings; throws an Error naming a bad flag. */
  configure(values: FlagValues): Config;
  /** Cluster-wide RBAC rules the module needs beyond the agent's own (docs/rbac.md). */
  rbac: PolicyRule[];
  /**
   * The kinds the module writes that belong to one host, so the admission policy lets an agent
   * write those of its own host only (boundByLabel for kinds bound by the scheduler's label).
   */
  hostBound: HostBoundResource[];
  register(ctx: HostModuleContext, config: Config): void;
}
