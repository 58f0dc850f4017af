// NetworkACL rules, checked on every packet that crosses a Subnet's boundary, replies
// included: stateless, unlike SecurityGroups. Traffic between interfaces of one Subnet never
// crosses the boundary, so the rules do not apply to it.
//
// Ingress rules are ACLs on the Subnet's switch, on packets that enter it from the VPC router:
// crossing from the router to the switch clears conntrack state, and OVN sends nothing that
// comes from a router port through conntrack, so every such packet meets the rules, and only
// them (SecurityGroup ACLs all match interface ports, `inport == @group`), in priority order.
//
// Egress rules are policies on the VPC router, on packets that enter it from the Subnet's
// router port. They cannot be ACLs on the switch's way out: there a reply still carries the
// conntrack state of the connection the SecurityGroups admitted, and OVN lets established
// replies skip every ACL. The router keeps no connection state; each Subnet's policies match
// its own router port, so the policies of different Subnets never compete.
import type { NetworkACLSpec } from '../api/index.ts';
import type { DesiredRouterPolicy } from './nb/router-policy.ts';
import { names, ownerIds, rowKeys, type Owner } from './ownership.ts';
import type { DesiredACL } from './security-groups.ts';
import { trafficMatch } from './traffic-match.ts';

type Rule = NetworkACLSpec['rules'][number];

/** Lower rule numbers are checked first: OVN checks higher priorities first. */
export const networkAclPriority = (ruleNumber: number) => 32767 - ruleNumber;

const peerMatch = (field: 'ip4.src' | 'ip4.dst', cidr: string) =>
  cidr === '0.0.0.0/0' ? '' : ` && ${field} == ${cidr}`;

const ruleName = (rule: Rule) =>
  `nacl-${rule.direction === 'Ingress' ? 'in' : 'out'}-${String(rule.ruleNumber)}`;

/** The ACLs a NetworkACL puts on one Subnet's switch: its Ingress rules. */
export function networkACLs(owner: Owner, subnetUid: string, rules: readonly Rule[]): DesiredACL[] {
  const routerSide = `"${names.switchRouterPort(subnetUid)}"`;
  const ids = ownerIds(owner);
  return rules
    .filter((rule) => rule.direction === 'Ingress')
    .map((rule) => ({
      name: ruleName(rule),
      priority: networkAclPriority(rule.ruleNumber),
      // The switch's ingress pipeline, on packets from its router-facing port.
      direction: 'from-lport',
      match: `inport == ${routerSide} && ip4${peerMatch('ip4.src', rule.cidr)}${trafficMatch(rule)}`,
      action: rule.action === 'Allow' ? 'allow-stateless' : 'drop',
      external_ids: { ...ids, [rowKeys.rule]: ruleName(rule) },
    }));
}

/** The router policies a NetworkACL puts on its Subnet's VPC router: its Egress rules. */
export function networkAclPolicies(
  owner: Owner,
  subnetUid: string,
  rules: readonly Rule[],
): DesiredRouterPolicy[] {
  const fromSubnet = `"${names.routerPort(subnetUid)}"`;
  const ids = ownerIds(owner);
  return rules
    .filter((rule) => rule.direction === 'Egress')
    .map((rule) => ({
      priority: networkAclPriority(rule.ruleNumber),
      match: `inport == ${fromSubnet} && ip4${peerMatch('ip4.dst', rule.cidr)}${trafficMatch(rule)}`,
      action: rule.action === 'Allow' ? 'allow' : 'drop',
      external_ids: { ...ids, [rowKeys.rule]: ruleName(rule), 'kcloud.io/subnet-uid': subnetUid },
    }));
}
