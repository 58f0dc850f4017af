// The OVN rows of a NATGateway, from its rules once resolved to addresses: an SNAT rule is a
// `snat` NAT row on the VPC router (the range out from the EIP); DNAT rules are port forwards,
// which OVN's NAT table cannot express (it has no ports), so they are VIPs of a load balancer
// per protocol on the VPC router, `EIP:port` → `address:port`, as OpenStack's OVN driver does.
import type { DesiredLoadBalancer } from '../../../controllers/ovn-nb/index.ts';
import type { DesiredNat } from './nb/nat.ts';
import { ownerIds, rowKeys, type Owner } from './ownership.ts';

export interface ResolvedSnat {
  rule: string;
  /** The range translated: a Subnet's CIDR or the rule's. */
  logicalIp: string;
  /** The EIP's address. */
  externalIp: string;
}

export interface ResolvedDnat {
  rule: string;
  protocol: 'TCP' | 'UDP';
  externalIp: string;
  externalPort: number;
  internalIp: string;
  internalPort: number;
}

/** The load balancer holding a NATGateway's port forwards of one protocol. */
export const natGatewayLoadBalancer = (uid: string, protocol: 'tcp' | 'udp') =>
  `kcloud-natgw-${uid}-${protocol}`;

export function desiredNatRows(
  owner: Owner,
  vpcUid: string,
  snat: readonly ResolvedSnat[],
): DesiredNat[] {
  return snat.map((r) => ({
    type: 'snat',
    external_ip: r.externalIp,
    logical_ip: r.logicalIp,
    external_ids: { ...ownerIds(owner, vpcUid), [rowKeys.rule]: r.rule },
  }));
}

export function desiredPortForwards(
  owner: Owner,
  vpcUid: string,
  dnat: readonly ResolvedDnat[],
): DesiredLoadBalancer[] {
  const out: DesiredLoadBalancer[] = [];
  for (const protocol of ['tcp', 'udp'] as const) {
    const rules = dnat.filter((r) => r.protocol.toLowerCase() === protocol);
    if (rules.length === 0) continue;
    out.push({
      name: natGatewayLoadBalancer(owner.uid, protocol),
      protocol,
      vips: Object.fromEntries(
        rules.map((r) => [
          `${r.externalIp}:${String(r.externalPort)}`,
          `${r.internalIp}:${String(r.internalPort)}`,
        ]),
      ),
      external_ids: ownerIds(owner, vpcUid),
    });
  }
  return out;
}
