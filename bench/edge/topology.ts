// What the edge benchmark creates, as CR objects, and the addresses they use. Three VPCs keep
// the phases apart: one for the LoadBalancers (a Subnet of VIPs, one of members), one for the
// NICs the EIPs of the NAT phase are bound to, and one for the guests of the re-bind phase.
// Pure: the same sizes always give the same objects.
import { EIP, EIPPool, type EIPObject, type EIPPoolObject } from '../../operators/eip/api/index.ts';
import { LoadBalancer, type LoadBalancerObject } from '../../operators/slb/api/index.ts';
import {
  NetworkInterface,
  SecurityGroup,
  Subnet,
  VPC,
  type NetworkInterfaceObject,
  type SecurityGroupObject,
  type SubnetObject,
  type VPCObject,
} from '../../operators/vpc/api/index.ts';

export const names = {
  lbVpc: 'lb',
  vipSubnet: 'lb-vips',
  memberSubnet: 'lb-members',
  natVpc: 'nat',
  natSubnet: 'nat',
  dpVpc: 'dp',
  dpSubnet: 'dp',
  dpGroup: 'dp-open',
  lb: (i: number) => `lb-${String(i).padStart(4, '0')}`,
  /** The same rows written by ovn-nbctl. */
  baselineLb: (i: number) => `bench-lb-${String(i).padStart(4, '0')}`,
  natNic: (i: number) => `nat-${String(i).padStart(4, '0')}`,
  natEip: (i: number) => `nat-${String(i).padStart(4, '0')}`,
  /** The two guests an EIP is re-bound between (NICs and network namespaces). */
  guests: ['edge-a', 'edge-b'] as const,
  /** A NIC whose EIP keeps the dp VPC's gateway port while the re-bound EIP is unbound. */
  keeper: 'dp-keep',
  rebindEip: 'dp',
  /** The network namespace behind the pool's provider bridge. */
  internet: 'edge-inet',
};

export const lbPort = 8080;
export const probePort = 8080;

/** The pool and the "internet" namespace behind its provider bridge. */
export const pool = {
  name: 'bench-edge',
  cidrBlock: '198.51.100.0/24',
  gatewayIP: '198.51.100.1',
  prefix: 24,
  allocatableRanges: ['198.51.100.10-198.51.100.250'],
  providerNetwork: 'physnet1',
  /** Gateway ports take the lowest free addresses (.10 up); the EIPs name theirs from here. */
  rebindAddress: '198.51.100.20',
  keeperAddress: '198.51.100.21',
  natBase: 50,
};

export const limits = { lbs: 4000, members: 64, nats: 200 } as const;

const cidrs = {
  lb: '10.1.0.0/16',
  vips: '10.1.0.0/20',
  members: '10.1.64.0/18',
  nat: '10.2.0.0/16',
  natSubnet: '10.2.0.0/22',
  dp: '10.3.0.0/16',
  dpSubnet: '10.3.0.0/24',
};

function ip(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function ipText(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** LoadBalancer `i`'s VIP: consecutive addresses of the VIP Subnet, clear of its gateway. */
export function vipOf(i: number): string {
  return ipText(ip('10.1.0.0') + 16 + i);
}

/** Member `j` of LoadBalancer `i`: every member a different address of the member Subnet. */
export function memberOf(i: number, j: number, members: number): string {
  return ipText(ip('10.1.64.0') + 16 + i * members + j);
}

/** The address EIP `i` of the NAT phase holds. */
export function natAddressOf(i: number): string {
  return ipText(ip('198.51.100.0') + pool.natBase + i);
}

/** One Load_Balancer row as both writers write it: `vip:port` → backends. */
export interface LbRow {
  /** The LoadBalancer's name (kcloud), or the baseline row's name. */
  name: string;
  vip: string;
  backends: string[];
}

export function lbRows(lbs: number, members: number, name: (i: number) => string): LbRow[] {
  return Array.from({ length: lbs }, (_, i) => ({
    name: name(i),
    vip: `${vipOf(i)}:${String(lbPort)}`,
    backends: Array.from(
      { length: members },
      (_, j) => `${memberOf(i, j, members)}:${String(lbPort)}`,
    ),
  }));
}

export function checkSizes(s: { lbs: number; members: number; nats: number }): void {
  for (const k of ['lbs', 'members', 'nats'] as const) {
    if (s[k] > limits[k]) {
      throw new Error(`--${k} is at most ${String(limits[k])} (the benchmark's address plan)`);
    }
  }
  if (s.lbs * s.members > 16_000) {
    throw new Error('--lbs × --members is at most 16,000 (the member Subnet is a /18)');
  }
}

const meta = (namespace: string, name: string) => ({ name, namespace });

function vpc(namespace: string, name: string, cidr: string): VPCObject {
  return {
    apiVersion: VPC.apiVersion,
    kind: VPC.kind,
    metadata: meta(namespace, name),
    spec: { cidrBlocks: [cidr] },
  };
}

function subnet(namespace: string, name: string, vpcName: string, cidr: string): SubnetObject {
  return {
    apiVersion: Subnet.apiVersion,
    kind: Subnet.kind,
    metadata: meta(namespace, name),
    spec: { vpcRef: { name: vpcName }, cidrBlock: cidr },
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

export function poolObject(): EIPPoolObject {
  return {
    apiVersion: EIPPool.apiVersion,
    kind: EIPPool.kind,
    metadata: { name: pool.name },
    spec: {
      cidrBlock: pool.cidrBlock,
      gatewayIP: pool.gatewayIP,
      allocatableRanges: pool.allocatableRanges,
      providerNetwork: pool.providerNetwork,
    },
  };
}

export function eipObject(
  namespace: string,
  name: string,
  address: string,
  nic: string | undefined,
): EIPObject {
  return {
    apiVersion: EIP.apiVersion,
    kind: EIP.kind,
    metadata: meta(namespace, name),
    spec: {
      poolRef: { name: pool.name },
      address,
      ...(nic ? { binding: { networkInterfaceRef: { name: nic } } } : {}),
    },
  };
}

/** The LoadBalancers' VPC and its two Subnets. */
export function lbNetwork(namespace: string): (VPCObject | SubnetObject)[] {
  return [
    vpc(namespace, names.lbVpc, cidrs.lb),
    subnet(namespace, names.vipSubnet, names.lbVpc, cidrs.vips),
    subnet(namespace, names.memberSubnet, names.lbVpc, cidrs.members),
  ];
}

/** LoadBalancer `i`: one TCP listener on its VIP, `members` members by address, no checks. */
export function lbObject(namespace: string, i: number, members: number): LoadBalancerObject {
  return {
    apiVersion: LoadBalancer.apiVersion,
    kind: LoadBalancer.kind,
    metadata: meta(namespace, names.lb(i)),
    spec: {
      subnetRef: { name: names.vipSubnet },
      vip: vipOf(i),
      listeners: [{ name: 'tcp', protocol: 'TCP', port: lbPort, backendPool: 'members' }],
      backendPools: [
        {
          name: 'members',
          members: Array.from({ length: members }, (_, j) => ({
            ip: memberOf(i, j, members),
            port: lbPort,
          })),
        },
      ],
    },
  };
}

/** The NAT phase's VPC, Subnet and NICs. */
export function natNetwork(namespace: string, nats: number): KubeObjects {
  return [
    vpc(namespace, names.natVpc, cidrs.nat),
    subnet(namespace, names.natSubnet, names.natVpc, cidrs.natSubnet),
    ...Array.from({ length: nats }, (_, i) =>
      nicObject(namespace, names.natNic(i), { subnetRef: { name: names.natSubnet } }),
    ),
  ];
}

type KubeObjects = (VPCObject | SubnetObject | NetworkInterfaceObject | SecurityGroupObject)[];

/**
 * The re-bind phase's VPC: a SecurityGroup letting the probes in (inbound is denied by
 * default), the two guests' NICs in it, and the keeper's NIC.
 */
export function dpNetwork(namespace: string): KubeObjects {
  const group: SecurityGroupObject = {
    apiVersion: SecurityGroup.apiVersion,
    kind: SecurityGroup.kind,
    metadata: meta(namespace, names.dpGroup),
    spec: {
      vpcRef: { name: names.dpVpc },
      rules: [
        {
          name: 'probe',
          direction: 'Ingress',
          protocol: 'TCP',
          ports: { from: probePort, to: probePort },
          remoteCIDR: '0.0.0.0/0',
        },
      ],
    },
  };
  return [
    vpc(namespace, names.dpVpc, cidrs.dp),
    subnet(namespace, names.dpSubnet, names.dpVpc, cidrs.dpSubnet),
    group,
    ...names.guests.map((g) =>
      nicObject(namespace, g, {
        subnetRef: { name: names.dpSubnet },
        securityGroupRefs: [{ name: names.dpGroup }],
      }),
    ),
    nicObject(namespace, names.keeper, { subnetRef: { name: names.dpSubnet } }),
  ];
}
