// SecurityGroup rules as OVN ACLs on port groups. One port group per SecurityGroup holds its
// members' ports, so a rule is one ACL whatever the number of members, and a membership change
// is one port-group update.
//
// Priorities (OVN evaluates the highest matching ACL first):
//   1000        baseline on every kcloud interface (port group `kcloud_interfaces`): outbound
//               allowed, inbound dropped, IPv4 and IPv6 alike (an interface without port
//               security could otherwise reach another over IPv6 unfiltered). Stateful:
//               replies to allowed traffic always pass.
//   2001        each group's default: inbound from members of the same group allowed.
//   2002–4001   the group's rules: 2000 + 2 × priority, +1 for Deny, so a higher priority wins
//               and at equal priority Deny wins.
import type { ACL } from '../../../controllers/ovsdb/nb/tables.ts';
import type { SecurityGroupRule } from '../api/index.ts';
import type { Desired } from './desired.ts';
import { trafficMatch } from './traffic-match.ts';
import { names, ownerIds, rowKeys, type Owner } from './ownership.ts';

/**
 * The one baseline port group every interface was in before each Subnet had its own: ovn-northd
 * keeps an address set of each port group's addresses, and on OVN 25.03 an interface joining a
 * group of 5,000 cost it 21 ms of CPU against none for a group of 100 (docs/benchmarks.md).
 * Interfaces still in it move to their Subnet's group when next reconciled, and it is deleted
 * once empty.
 */
export const legacyBaselineGroup = 'kcloud_interfaces';

/** The baseline port group of a Subnet's interfaces. */
export const baselineGroup = (subnetUid: string) =>
  `${legacyBaselineGroup}_${subnetUid.replaceAll('-', '_')}`;

/** What marks a baseline port group, in its external_ids. */
export const baselineIds = { 'kcloud.io/acl': 'baseline' } as const;

export type DesiredACL = Desired<ACL> & Pick<ACL, 'priority' | 'direction' | 'match' | 'action'>;

export const aclPriority = {
  baseline: 1000,
  sameGroup: 2001,
  rule: (priority: number, action: 'Allow' | 'Deny') =>
    2000 + 2 * priority + (action === 'Deny' ? 1 : 0),
};

/**
 * The baseline every interface gets, in or out of any SecurityGroup, as the ACLs of the
 * baseline port group `group` (its Subnet's) holding it.
 */
export function baselineACLs(group: string): DesiredACL[] {
  const builtin = (name: string) => ({ ...baselineIds, [rowKeys.builtin]: name });
  return [
    {
      name: 'kcloud-egress-allow',
      priority: aclPriority.baseline,
      direction: 'from-lport',
      match: `inport == @${group} && ip`,
      action: 'allow-related',
      external_ids: builtin('kcloud-egress-allow'),
    },
    {
      name: 'kcloud-ingress-deny',
      priority: aclPriority.baseline,
      direction: 'to-lport',
      match: `outport == @${group} && ip`,
      action: 'drop',
      external_ids: builtin('kcloud-ingress-deny'),
    },
  ];
}

/** Resolves a remote SecurityGroup reference to the UID of that group. */
export type GroupResolver = (name: string) => string | undefined;

/**
 * The ACLs of one SecurityGroup. Throws (naming the group) when a rule refers to a
 * SecurityGroup that does not resolve: the backend checks that first and waits for the group
 * (SecurityGroupNotFound).
 */
export function securityGroupACLs(
  owner: Owner,
  rules: SecurityGroupRule[],
  resolve: GroupResolver,
): DesiredACL[] {
  const pg = names.portGroup(owner.uid);
  const ids = ownerIds(owner);
  const acls: DesiredACL[] = [
    {
      name: 'same-group',
      priority: aclPriority.sameGroup,
      direction: 'to-lport',
      match: `outport == @${pg} && ip4 && ip4.src == $${pg}_ip4`,
      action: 'allow-related',
      // A built-in row: told apart from the rules by its key, so a rule may be named anything.
      external_ids: { ...ids, [rowKeys.builtin]: 'same-group' },
    },
  ];
  for (const rule of rules) {
    const ingress = rule.direction === 'Ingress';
    const peerField = ingress ? 'ip4.src' : 'ip4.dst';
    let peer = '';
    if (rule.remoteSecurityGroupRef) {
      const uid = resolve(rule.remoteSecurityGroupRef.name);
      if (!uid) throw new Error(`SecurityGroup ${rule.remoteSecurityGroupRef.name} not found`);
      peer = ` && ${peerField} == $${names.portGroup(uid)}_ip4`;
    } else if (rule.remoteCIDR && rule.remoteCIDR !== '0.0.0.0/0') {
      peer = ` && ${peerField} == ${rule.remoteCIDR}`;
    }
    const action = rule.action ?? 'Allow';
    acls.push({
      name: rule.name,
      priority: aclPriority.rule(rule.priority ?? 100, action),
      direction: ingress ? 'to-lport' : 'from-lport',
      match: `${ingress ? 'outport' : 'inport'} == @${pg} && ip4${peer}${trafficMatch(rule)}`,
      action: action === 'Allow' ? 'allow-related' : 'drop',
      external_ids: { ...ids, [rowKeys.rule]: rule.name },
    });
  }
  return acls;
}
