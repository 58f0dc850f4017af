// The OVN northbound rows each VPC object should have, computed from the spec alone. The
// applier compares these with what the database holds and writes the difference.
import type {
  DHCPOptions,
  LogicalRouter,
  LogicalRouterPort,
  LogicalSwitch,
  LogicalSwitchPort,
} from '../../../controllers/ovsdb/nb/tables.ts';
import { formatIPv4, parseCidr } from '../ipam/index.ts';
import { derivedMac, names, ownerIds, portKeys, type Owner } from './ownership.ts';

/** A row as we want it: the columns we manage, without _uuid and references by name. */
export type Desired<T> = Omit<Partial<T>, '_uuid'> & { external_ids: Record<string, string> };

export function desiredRouter(vpc: Owner): Desired<LogicalRouter> & { name: string } {
  return { name: names.router(vpc.uid), external_ids: ownerIds(vpc, vpc.uid) };
}

export interface SubnetInput {
  owner: Owner;
  vpcUid: string;
  cidrBlock: string;
  gatewayIP: string;
  dhcp: { enabled: boolean; leaseTimeSeconds: number };
  dnsServers: string[];
  /** The OVN route table of the RouteTable the Subnet uses, if any. */
  routeTable?: string;
}

export interface DesiredSubnet {
  logicalSwitch: Desired<LogicalSwitch> & { name: string };
  routerPort: Desired<LogicalRouterPort> & { name: string; mac: string; networks: string[] };
  switchRouterPort: Desired<LogicalSwitchPort> & { name: string };
  dhcp?: Desired<DHCPOptions> & { cidr: string };
}

export function desiredSubnet(s: SubnetInput): DesiredSubnet {
  const ids = ownerIds(s.owner, s.vpcUid);
  const cidr = parseCidr(s.cidrBlock);
  const cidrText = `${formatIPv4(cidr.network)}/${String(cidr.prefix)}`;
  const mac = derivedMac(`${s.owner.uid}/router`);
  const routerPortName = names.routerPort(s.owner.uid);
  const out: DesiredSubnet = {
    logicalSwitch: {
      name: names.switch(s.owner.uid),
      // Addresses come from kcloud's IPAM, not OVN's: no other_config:subnet here.
      external_ids: { ...ids, 'kcloud.io/cidr': cidrText },
    },
    routerPort: {
      name: routerPortName,
      mac,
      networks: [`${s.gatewayIP}/${String(cidr.prefix)}`],
      // Packets from the Subnet are routed with this table's routes besides the VPC's own.
      options: s.routeTable ? { route_table: s.routeTable } : {},
      external_ids: ids,
    },
    switchRouterPort: {
      name: names.switchRouterPort(s.owner.uid),
      type: 'router',
      addresses: ['router'],
      options: { 'router-port': routerPortName },
      external_ids: ids,
    },
  };
  if (s.dhcp.enabled) {
    const options: Record<string, string> = {
      server_id: s.gatewayIP,
      server_mac: mac,
      router: s.gatewayIP,
      lease_time: String(s.dhcp.leaseTimeSeconds),
      // 1442: a 1500-byte underlay minus Geneve's overhead, so guests never fragment.
      mtu: '1442',
    };
    if (s.dnsServers.length > 0) options.dns_server = `{${s.dnsServers.join(', ')}}`;
    out.dhcp = { cidr: cidrText, options, external_ids: ids };
  }
  return out;
}

export interface InterfaceInput {
  owner: Owner;
  vpcUid: string;
  ipAddress: string;
  macAddress: string;
  portSecurity: boolean;
  /** Only hold the address: the port carries its MAC alone, the address in external_ids. */
  reserveOnly?: boolean;
}

/**
 * The interface's switch port: its MAC and address (so OVN answers ARP for it and DHCP gives
 * it that address), and port security unless turned off, so it cannot send from another MAC
 * or IP. A reserve-only port carries its MAC alone, so OVN neither answers ARP for the address
 * nor routes it there (the router holding a LoadBalancer with that VIP answers instead); the
 * address is kept in its external_ids, where the address pools are rebuilt from.
 */
export function desiredInterfacePort(
  n: InterfaceInput,
): Desired<LogicalSwitchPort> & { name: string } {
  const address = n.reserveOnly ? n.macAddress : `${n.macAddress} ${n.ipAddress}`;
  return {
    name: names.interfacePort(n.owner.uid),
    type: '',
    addresses: [address],
    port_security: n.portSecurity ? [address] : [],
    external_ids: {
      ...ownerIds(n.owner, n.vpcUid),
      ...(n.reserveOnly ? { [portKeys.reservedAddress]: n.ipAddress } : {}),
    },
  };
}

/**
 * The MAC and address an interface's port carries: the address from its `addresses`, or from
 * its external_ids for a reserve-only port.
 */
export function interfacePortAddress(port: {
  addresses: string[];
  external_ids: Record<string, string>;
}): { mac: string; ip: string } {
  const [mac, ip] = (port.addresses[0] ?? '').split(' ');
  return { mac: mac ?? '', ip: ip ?? port.external_ids[portKeys.reservedAddress] ?? '' };
}
