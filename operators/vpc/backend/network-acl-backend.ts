import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkACLObject, SubnetObject } from '../api/index.ts';
import { names, networkACLs, networkAclPolicies, type DesiredACL } from '../ovn/index.ts';
import {
  findRouterPort,
  findSwitch,
  routerPoliciesMatch,
  routersWithPoliciesOf,
  switchACLsMatch,
  switchesWithACLsOf,
  type DesiredRouterPolicy,
  type NbClient,
} from '../ovn/nb/index.ts';
import { networkAclOf } from './bindings.ts';
import { ownerOf } from './owner.ts';
import { requireNetworkCidr } from './stored-cidrs.ts';
import { readySubnet } from './references.ts';

export interface NetworkACLObservation {
  subnets: string[];
}

/**
 * What the NetworkACL should have where: Ingress ACLs per switch and Egress policies per
 * router, by name; empty lists where it no longer applies, so what was there is removed.
 */
interface Placement {
  switches: Map<string, DesiredACL[]>;
  routers: Map<string, DesiredRouterPolicy[]>;
}

/**
 * A NetworkACL's backend: for every Subnet it names, the Ingress rules on the Subnet's switch
 * and the Egress rules on its VPC router (see ovn/network-acls.ts for why they sit there).
 */
export class NetworkACLBackend implements ExternalClient<NetworkACLObject, NetworkACLObservation> {
  private readonly nb: NbClient;
  private readonly subnets: Cache<SubnetObject>;
  private readonly acls: Cache<NetworkACLObject>;

  constructor(nb: NbClient, subnets: Cache<SubnetObject>, acls: Cache<NetworkACLObject>) {
    this.nb = nb;
    this.subnets = subnets;
    this.acls = acls;
  }

  /** The Subnets the NetworkACL applies to; throws when one is missing, not ready or taken. */
  private boundSubnets(nacl: NetworkACLObject): SubnetObject[] {
    const ns = nacl.metadata.namespace ?? '';
    const all = this.acls.inNamespace(ns);
    return nacl.spec.subnetRefs.map(({ name }) => {
      const subnet = readySubnet(this.subnets, ns, name);
      const holder = networkAclOf(subnet, all);
      if (holder && holder.metadata.uid !== nacl.metadata.uid) {
        throw new ReconcileError(
          'SubnetHasNetworkACL',
          `Subnet ${name} already uses NetworkACL ${holder.metadata.name ?? ''}; a Subnet has one NetworkACL`,
          { retry: false },
        );
      }
      return subnet;
    });
  }

  /** The router a Subnet's router port is on. */
  private routerOf(subnetUid: string): string {
    const port = findRouterPort(this.nb.ovsdb, names.routerPort(subnetUid));
    const router = port
      ? this.nb.ovsdb.replica
          .table('Logical_Router')
          .rows()
          .find((r) => r.ports.includes(port._uuid))
      : undefined;
    if (!router) {
      throw new ReconcileError('SubnetNotReady', 'the router port of a Subnet is missing');
    }
    return router.name;
  }

  private placement(nacl: NetworkACLObject): Placement {
    for (const rule of nacl.spec.rules) {
      requireNetworkCidr(rule.cidr, `rule ${rule.direction} ${String(rule.ruleNumber)}: cidr`);
    }
    const owner = ownerOf(nacl, 'NetworkACL');
    const c = this.nb.ovsdb;
    const placement: Placement = { switches: new Map(), routers: new Map() };
    for (const stale of switchesWithACLsOf(c, owner.uid)) placement.switches.set(stale, []);
    for (const stale of routersWithPoliciesOf(c, owner.uid)) placement.routers.set(stale, []);
    for (const subnet of this.boundSubnets(nacl)) {
      const uid = subnet.metadata.uid ?? '';
      placement.switches.set(names.switch(uid), networkACLs(owner, uid, nacl.spec.rules));
      const router = this.routerOf(uid);
      const policies = networkAclPolicies(owner, uid, nacl.spec.rules);
      placement.routers.set(router, [...(placement.routers.get(router) ?? []), ...policies]);
    }
    return placement;
  }

  private holdsRows(uid: string): boolean {
    const c = this.nb.ovsdb;
    return switchesWithACLsOf(c, uid).length > 0 || routersWithPoliciesOf(c, uid).length > 0;
  }

  observe(nacl: NetworkACLObject): Promise<Observation<NetworkACLObservation>> {
    const uid = nacl.metadata.uid ?? '';
    const c = this.nb.ovsdb;
    // A NetworkACL without rules has nothing in OVN: it exists as soon as it is reconciled,
    // except while it is being deleted, when only rows left behind count.
    const exists =
      this.holdsRows(uid) || (nacl.spec.rules.length === 0 && !nacl.metadata.deletionTimestamp);
    if (!exists) return Promise.resolve({ exists: false, upToDate: false });
    let placement: Placement;
    try {
      placement = this.placement(nacl);
    } catch {
      return Promise.resolve({ exists: true, upToDate: false });
    }
    const upToDate =
      [...placement.switches].every(
        ([sw, desired]) =>
          (desired.length === 0 && !findSwitch(c, sw)) || switchACLsMatch(c, sw, uid, desired),
      ) &&
      [...placement.routers].every(([router, desired]) =>
        routerPoliciesMatch(c, router, uid, desired),
      );
    return Promise.resolve({
      exists: true,
      upToDate,
      observed: { subnets: nacl.spec.subnetRefs.map((r) => r.name).sort() },
    });
  }

  async create(nacl: NetworkACLObject): Promise<void> {
    const uid = nacl.metadata.uid ?? '';
    const placement = this.placement(nacl);
    for (const [sw, desired] of placement.switches) {
      if (desired.length === 0 && !findSwitch(this.nb.ovsdb, sw)) continue;
      await this.nb.ensureSwitchACLs(sw, uid, desired);
    }
    for (const [router, desired] of placement.routers) {
      await this.nb.ensureRouterPolicies(router, uid, desired);
    }
  }

  async update(nacl: NetworkACLObject): Promise<void> {
    await this.create(nacl);
  }

  async delete(nacl: NetworkACLObject): Promise<void> {
    const uid = nacl.metadata.uid ?? '';
    for (const sw of switchesWithACLsOf(this.nb.ovsdb, uid)) {
      await this.nb.ensureSwitchACLs(sw, uid, []);
    }
    await this.nb.deleteRouterPoliciesOf(uid);
  }
}
