// What the benchmark creates: one VPC, its Subnets, SecurityGroups with their rules, and NICs
// spread over both, as CR objects; and what the northbound database holds once they are all
// programmed. Pure: the same options always give the same objects.
import type {
  NetworkInterfaceObject,
  SecurityGroupObject,
  SecurityGroupRule,
  SubnetObject,
  VPCObject,
} from '../../operators/vpc/api/index.ts';
import { NetworkInterface, SecurityGroup, Subnet, VPC } from '../../operators/vpc/api/index.ts';

export const vpcCidr = '10.0.0.0/8';
/** The Subnet of the NICs bound to guests, at the top of the VPC, clear of the others. */
export const probeCidr = '10.255.255.0/24';
/** Addresses a /24 hands out: all but the network, broadcast and gateway addresses. */
export const probeSubnetCapacity = 253;
const probeBase = ip('10.255.255.0');
const vpcBase = ip('10.0.0.0');

function ip(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function ipText(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * The longest prefix (the smallest Subnet, /16 to /29) whose Subnets each hold their share of
 * the NICs beside the network, broadcast and gateway addresses; throws when `subnets` of them
 * do not fit below the probe Subnet.
 */
export function subnetPrefixFor(nics: number, subnets: number): number {
  const share = Math.ceil(nics / subnets);
  for (let prefix = 29; prefix >= 16; prefix--) {
    const size = 2 ** (32 - prefix);
    if (size - 3 < share) continue;
    if (subnets * size > probeBase - vpcBase) break;
    return prefix;
  }
  throw new Error(`${nics} NICs do not fit in ${subnets} Subnets of ${vpcCidr}`);
}

/** The range of the `index`th Subnet: consecutive blocks from the start of the VPC. */
export function subnetCidr(index: number, prefix: number): string {
  return `${ipText(vpcBase + index * 2 ** (32 - prefix))}/${prefix}`;
}

/** How many of `total` rules group `group` of `groups` gets: as even as it goes. */
export function rulesOfGroup(group: number, groups: number, total: number): number {
  return Math.floor(total / groups) + (group < total % groups ? 1 : 0);
}

export const names = {
  vpc: 'vpc',
  subnet: (i: number) => `s-${String(i).padStart(3, '0')}`,
  group: (i: number) => `sg-${String(i).padStart(3, '0')}`,
  nic: (i: number) => `nic-${String(i).padStart(5, '0')}`,
  probeSubnet: 'probe',
};

/**
 * Rule `k` of a group: a mix of what users write (TCP and UDP ports, ICMP; Ingress and
 * Egress; anywhere, a range, or another SecurityGroup), each rule distinct.
 */
export function rule(k: number, group: number, groups: number): SecurityGroupRule {
  const name = `r-${String(k).padStart(3, '0')}`;
  const direction = k % 4 === 3 ? 'Egress' : 'Ingress';
  const port = 1000 + k;
  if (k % 10 === 9 && groups > 1) {
    return {
      name,
      direction,
      protocol: 'TCP',
      ports: { from: port, to: port },
      remoteSecurityGroupRef: { name: names.group((group + 1) % groups) },
    };
  }
  if (k % 10 === 4) return { name, direction, protocol: 'ICMP', remoteCIDR: '10.0.0.0/8' };
  const protocol = k % 3 === 2 ? 'UDP' : 'TCP';
  const remoteCIDR = k % 2 === 0 ? '0.0.0.0/0' : `192.168.${k % 256}.0/24`;
  const ports = k % 5 === 1 ? { from: port, to: port + 9 } : { from: port, to: port };
  return { name, direction, protocol, ports, remoteCIDR };
}

export interface ScaleSizes {
  subnets: number;
  nics: number;
  securityGroups: number;
  rules: number;
}

export interface ScaleObjects {
  vpc: VPCObject;
  subnets: SubnetObject[];
  groups: SecurityGroupObject[];
  nics: NetworkInterfaceObject[];
}

const meta = (namespace: string, name: string) => ({ namespace, name });

export function vpcObject(namespace: string): VPCObject {
  return {
    apiVersion: VPC.apiVersion,
    kind: VPC.kind,
    metadata: meta(namespace, names.vpc),
    spec: { cidrBlocks: [vpcCidr] },
  };
}

export function subnetObject(namespace: string, name: string, cidrBlock: string): SubnetObject {
  return {
    apiVersion: Subnet.apiVersion,
    kind: Subnet.kind,
    metadata: meta(namespace, name),
    spec: { vpcRef: { name: names.vpc }, cidrBlock },
  };
}

export function groupObject(
  namespace: string,
  name: string,
  rules: SecurityGroupRule[],
): SecurityGroupObject {
  return {
    apiVersion: SecurityGroup.apiVersion,
    kind: SecurityGroup.kind,
    metadata: meta(namespace, name),
    spec: { vpcRef: { name: names.vpc }, rules },
  };
}

export function nicObject(
  namespace: string,
  name: string,
  spec: NetworkInterfaceObject['spec'],
): NetworkInterfaceObject {
  return {
    apiVersion: NetworkInterface.apiVersion,
    kind: NetworkInterface.kind,
    metadata: meta(namespace, name),
    spec,
  };
}

/** The objects of the scale phase. NIC `i` is in Subnet `i mod subnets` and group `i mod groups`. */
export function scaleObjects(namespace: string, sizes: ScaleSizes): ScaleObjects {
  const prefix = subnetPrefixFor(sizes.nics, sizes.subnets);
  const groups = sizes.securityGroups;
  let k = 0;
  return {
    vpc: vpcObject(namespace),
    subnets: Array.from({ length: sizes.subnets }, (_, i) =>
      subnetObject(namespace, names.subnet(i), subnetCidr(i, prefix)),
    ),
    groups: Array.from({ length: groups }, (_, g) =>
      groupObject(
        namespace,
        names.group(g),
        Array.from({ length: rulesOfGroup(g, groups, sizes.rules) }, () => rule(k++, g, groups)),
      ),
    ),
    nics: Array.from({ length: sizes.nics }, (_, i) =>
      nicObject(namespace, names.nic(i), {
        subnetRef: { name: names.subnet(i % sizes.subnets) },
        securityGroupRefs: [{ name: names.group(i % groups) }],
      }),
    ),
  };
}

/** What the northbound database holds once every object of the scale phase is programmed. */
export interface ExpectedNb {
  /** Logical switch ports of NICs, each in its Subnet's switch. */
  nicPorts: number;
  /** Members of the port group every NIC joins. */
  baselineMembers: number;
  /** Members of the SecurityGroups' port groups, all groups together. */
  groupMembers: number;
  /** ACLs on SecurityGroup port groups: one per rule, one per group for its own members. */
  groupAcls: number;
}

export function expectedNb(sizes: ScaleSizes): ExpectedNb {
  return {
    nicPorts: sizes.nics,
    baselineMembers: sizes.nics,
    groupMembers: sizes.nics,
    groupAcls: sizes.rules + sizes.securityGroups,
  };
}

/**
 * A fixed address and MAC for the `i`th NIC whose guest is plugged before the operator has
 * answered: taken from the top of the probe Subnet, while the operator hands out the lowest
 * free addresses to the others.
 */
export function fixedProbeAddress(i: number): { ipAddress: string; macAddress: string } {
  if (i < 0 || i >= probeSubnetCapacity) throw new RangeError(`no fixed probe address ${i}`);
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    ipAddress: ipText(probeBase + 254 - i),
    macAddress: `0a:b0:00:00:${hex(Math.floor(i / 256))}:${hex(i % 256)}`,
  };
}
