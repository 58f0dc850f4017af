import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkInterfaceObject, SecurityGroupObject } from '../api/index.ts';
import { names, ownerIds, securityGroupACLs, type DesiredACL } from '../ovn/index.ts';
import {
  findPortGroup,
  findSwitchPort,
  portGroupACLsMatch,
  sameValue,
  type NbClient,
} from '../ovn/nb/index.ts';
import { ownerOf } from './owner.ts';

export interface SecurityGroupObservation {
  portGroupName: string;
  members: number;
}

/**
 * A SecurityGroup's backend: one port group holding the ports of the interfaces that name the
 * group, and one ACL per rule on it.
 */
export class SecurityGroupBackend implements ExternalClient<
  SecurityGroupObject,
  SecurityGroupObservation
> {
  private readonly nb: NbClient;
  private readonly groups: Cache<SecurityGroupObject>;
  private readonly interfaces: Cache<NetworkInterfaceObject>;

  constructor(
    nb: NbClient,
    groups: Cache<SecurityGroupObject>,
    interfaces: Cache<NetworkInterfaceObject>,
  ) {
    this.nb = nb;
    this.groups = groups;
    this.interfaces = interfaces;
  }

  /** Ports of the interfaces that name this group and whose port exists. */
  private members(sg: SecurityGroupObject): string[] {
    const name = sg.metadata.name ?? '';
    return this.interfaces
      .inNamespace(sg.metadata.namespace ?? '')
      .filter(
        (n) =>
          !n.metadata.deletionTimestamp &&
          (n.spec.securityGroupRefs ?? []).some((r) => r.name === name),
      )
      .map((n) => findSwitchPort(this.nb.ovsdb, names.interfacePort(n.metadata.uid ?? ''))?._uuid)
      .filter((u): u is string => u !== undefined)
      .sort();
  }

  private acls(sg: SecurityGroupObject): DesiredACL[] {
    const ns = sg.metadata.namespace ?? '';
    try {
      return securityGroupACLs(
        ownerOf(sg, 'SecurityGroup'),
        sg.spec.rules ?? [],
        (name) => this.groups.get(`${ns}/${name}`)?.metadata.uid,
      );
    } catch (err) {
      throw new ReconcileError(
        'SecurityGroupNotFound',
        err instanceof Error ? err.message : String(err),
      );
    }
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
      observed: { portGroupName: pgName, members: group.ports.length },
    });
  }

  async create(sg: SecurityGroupObject): Promise<void> {
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
