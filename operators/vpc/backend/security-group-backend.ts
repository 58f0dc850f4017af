import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkInterfaceObject, SecurityGroupObject, VPCObject } from '../api/index.ts';
import {
  names,
  ownerIds,
  ownerKeys,
  rowKeys,
  securityGroupACLs,
  type DesiredACL,
} from '../ovn/index.ts';
import {
  findPortGroup,
  findSwitchPort,
  portGroupACLs,
  portGroupACLsMatch,
  sameValue,
  type NbClient,
} from '../ovn/nb/index.ts';
import { ownerOf } from './owner.ts';
import { referentNotFound, referents } from './references.ts';
import { requireNetworkCidr } from './stored-cidrs.ts';

export interface SecurityGroupObservation {
  portGroupName: string;
  members: number;
  /** The group's rules in OVN (its own ACLs, the built-in ones left out). */
  rules: number;
}

/**
 * A SecurityGroup's backend: one port group holding the ports of the interfaces that name the
 * group, and one ACL per rule on it. Members and remote groups come from the group's own VPC
 * only: the same-group and remote-group ACLs match source addresses, and addresses repeat
 * across VPCs, so a member elsewhere would let in whoever holds its address here.
 */
export class SecurityGroupBackend implements ExternalClient<
  SecurityGroupObject,
  SecurityGroupObservation
> {
  private readonly nb: NbClient;
  private readonly groups: Cache<SecurityGroupObject>;
  private readonly interfaces: Cache<NetworkInterfaceObject>;
  private readonly vpcs: Cache<VPCObject>;

  constructor(
    nb: NbClient,
    groups: Cache<SecurityGroupObject>,
    interfaces: Cache<NetworkInterfaceObject>,
    vpcs: Cache<VPCObject>,
  ) {
    this.nb = nb;
    this.groups = groups;
    this.interfaces = interfaces;
    this.vpcs = vpcs;
  }

  private vpcUid(sg: SecurityGroupObject): string | undefined {
    return this.vpcs.get(`${sg.metadata.namespace ?? ''}/${sg.spec.vpcRef.name}`)?.metadata.uid;
  }

  /** Ports of the interfaces of the group's VPC that name this group and whose port exists. */
  private members(sg: SecurityGroupObject): string[] {
    const name = sg.metadata.name ?? '';
    const vpcUid = this.vpcUid(sg);
    if (!vpcUid) return [];
    // The interfaces' cache is indexed by the groups each names (`securityGroup`).
    return this.interfaces
      .byIndex('securityGroup', `${sg.metadata.namespace ?? ''}/${name}`)
      .filter((n) => !n.metadata.deletionTimestamp)
      .map((n) => findSwitchPort(this.nb.ovsdb, names.interfacePort(n.metadata.uid ?? '')))
      .filter((p) => p !== undefined && p.external_ids[ownerKeys.vpc] === vpcUid)
      .map((p) => p?._uuid ?? '')
      .sort();
  }

  private acls(sg: SecurityGroupObject): DesiredACL[] {
    const ns = sg.metadata.namespace ?? '';
    for (const rule of sg.spec.rules ?? []) {
      if (rule.remoteCIDR) requireNetworkCidr(rule.remoteCIDR, `rule ${rule.name}: remoteCIDR`);
      const remote = rule.remoteSecurityGroupRef?.name;
      if (remote === undefined) continue;
      // Only its uid goes into the ACLs: the group need not be Ready, only there.
      const group = this.groups.get(`${ns}/${remote}`);
      if (!group) throw referentNotFound(referents.securityGroup, ns, remote);
      if (group.spec.vpcRef.name !== sg.spec.vpcRef.name) {
        throw new ReconcileError(
          'SecurityGroupNotInVPC',
          `rule ${rule.name} names SecurityGroup ${remote} of VPC ${group.spec.vpcRef.name}, not ${sg.spec.vpcRef.name}`,
          { retry: false },
        );
      }
    }
    return securityGroupACLs(
      ownerOf(sg, 'SecurityGroup'),
      sg.spec.rules ?? [],
      (name) => this.groups.get(`${ns}/${name}`)?.metadata.uid,
    );
  }

  observe(sg: SecurityGroupObject): Promise<Observation<SecurityGroupObservation>> {
    const pgName = names.portGroup(sg.metadata.uid ?? '');
    const group = findPortGroup(this.nb.ovsdb, pgName);
    if (!group) return Promise.resolve({ exists: false, upToDate: false });
    const members = this.members(sg);
    let want: DesiredACL[] | undefined;
    try {
      want = this.acls(sg);
    } catch {
      want = undefined;
    }
    const aclsMatch = want !== undefined && portGroupACLsMatch(this.nb.ovsdb, pgName, want);
    return Promise.resolve({
      exists: true,
      upToDate: aclsMatch && sameValue([...group.ports].sort(), members),
      observed: {
        portGroupName: pgName,
        members: group.ports.length,
        rules: portGroupACLs(this.nb.ovsdb, pgName).filter(
          (acl) => acl.external_ids[rowKeys.rule] !== undefined,
        ).length,
      },
    });
  }

  async create(sg: SecurityGroupObject): Promise<void> {
    // Members are found by the VPC's uid: the VPC must be there, not Ready.
    if (!this.vpcUid(sg)) {
      throw referentNotFound(referents.vpc, sg.metadata.namespace ?? '', sg.spec.vpcRef.name);
    }
    const pgName = names.portGroup(sg.metadata.uid ?? '');
    const acls = this.acls(sg);
    await this.nb.ensurePortGroup(pgName, ownerIds(ownerOf(sg, 'SecurityGroup')), this.members(sg));
    await this.nb.ensurePortGroupACLs(pgName, acls);
  }

  async update(sg: SecurityGroupObject): Promise<void> {
    await this.create(sg);
  }

  async delete(sg: SecurityGroupObject): Promise<void> {
    await this.nb.deletePortGroup(names.portGroup(sg.metadata.uid ?? ''));
  }
}
