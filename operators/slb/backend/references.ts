// What a LoadBalancer reads of other products, through their objects' status only: its Subnet
// and VPC (the router and switches to attach to), and each member's address and logical port.
// A referent missing or not Ready is waited for; a member that can never work (outside the
// VPC) is a refusal, and then nothing at all is written.
import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { containsIP, parseCidr, parseIPv4 } from '../../../controllers/ipam/index.ts';
import type { NetworkInterfaceObject, SubnetObject, VPCObject } from '../../vpc/index.ts';
import type { LoadBalancerObject } from '../api/index.ts';
import { maxBackendEntries, weightedBackends, type ResolvedMember } from '../ovn/desired.ts';

type WithConditions = { status?: { conditions?: { type: string; status: string }[] } };

export function isReady(obj: WithConditions): boolean {
  return obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** An ECS Instance as the LoadBalancer reads it: the interfaces its status reports. */
export interface InstanceView extends KubeObject {
  status?: { interfaces?: { name: string; networkInterface?: string }[] };
}

export interface Caches {
  subnets: Pick<Cache<SubnetObject>, 'get' | 'inNamespace'>;
  vpcs: Pick<Cache<VPCObject>, 'get'>;
  nics: Pick<Cache<NetworkInterfaceObject>, 'get'>;
  instances: Pick<Cache<InstanceView>, 'get'>;
}

/** Where the LoadBalancer lives: its VPC's router and the switches of the VPC's Subnets. */
export interface Placement {
  subnet: SubnetObject;
  vpc: VPCObject;
  routerName: string;
  switchNames: string[];
}

function ready<T extends KubeObject & WithConditions>(
  cache: Pick<Cache<T>, 'get'>,
  kind: string,
  ns: string,
  name: string,
): T {
  const obj = cache.get(`${ns}/${name}`);
  if (!obj)
    throw new WaitingError(`${kind}NotFound`, `${kind} ${name} does not exist in namespace ${ns}`);
  if (obj.metadata.deletionTimestamp) {
    throw new WaitingError(`${kind}NotReady`, `${kind} ${name} is being deleted`);
  }
  if (!isReady(obj)) throw new WaitingError(`${kind}NotReady`, `${kind} ${name} is not ready`);
  return obj;
}

export function placement(c: Caches, lb: LoadBalancerObject): Placement {
  const ns = lb.metadata.namespace ?? '';
  const subnet = ready(c.subnets, 'Subnet', ns, lb.spec.subnetRef.name);
  const vpc = ready(c.vpcs, 'VPC', ns, subnet.spec.vpcRef.name);
  const routerName = vpc.status?.routerName;
  if (!routerName)
    throw new WaitingError('VPCNotReady', `VPC ${vpc.metadata.name ?? ''} has no router yet`);
  // Clients in every Subnet of the VPC reach the VIP: OVN balances in the client's switch.
  const switchNames = c.subnets
    .inNamespace(ns)
    .filter((s) => s.spec.vpcRef.name === vpc.metadata.name && isReady(s) && s.status?.switchName)
    .map((s) => s.status?.switchName ?? '')
    .sort();
  return { subnet, vpc, routerName, switchNames };
}

type Member = LoadBalancerObject['spec']['backendPools'][number]['members'][number];

const outside = (target: string, vpc: string, why: string) =>
  new ReconcileError(
    'MemberOutsideVPC',
    `member ${target} ${why}, not in VPC ${vpc}: a LoadBalancer reaches members of its own VPC only`,
    { retry: false },
  );

/** The member's address, port and logical port; a wait or a refusal otherwise. */
export function resolveMember(
  c: Caches,
  lb: LoadBalancerObject,
  where: Placement,
  pool: string,
  m: Member,
): ResolvedMember {
  const ns = lb.metadata.namespace ?? '';
  const vpcName = where.vpc.metadata.name ?? '';
  const base = { pool, port: m.port, drain: m.drain ?? false, weight: m.weight ?? 1 };
  if (m.ip !== undefined) {
    const ip = parseIPv4(m.ip);
    if (!where.vpc.spec.cidrBlocks.some((b) => containsIP(parseCidr(b), ip))) {
      throw outside(m.ip, vpcName, `is outside ${where.vpc.spec.cidrBlocks.join(', ')}`);
    }
    return { ...base, target: m.ip, ip: m.ip };
  }
  let nicName = m.networkInterfaceRef?.name ?? '';
  let target = `NetworkInterface/${nicName}`;
  if (m.instanceRef) {
    target = `Instance/${m.instanceRef.name}`;
    const instance = c.instances.get(`${ns}/${m.instanceRef.name}`);
    if (!instance) {
      throw new WaitingError(
        'MemberNotFound',
        `Instance ${m.instanceRef.name} does not exist in namespace ${ns}`,
      );
    }
    // The instance's interface in this VPC: the first one that is.
    const inVpc = (instance.status?.interfaces ?? [])
      .map((i) => i.networkInterface)
      .filter((n): n is string => n !== undefined)
      .find((n) => {
        const nic = c.nics.get(`${ns}/${n}`);
        const s = nic && c.subnets.get(`${ns}/${nic.spec.subnetRef.name}`);
        return s?.spec.vpcRef.name === vpcName;
      });
    if (!inVpc) {
      if ((instance.status?.interfaces ?? []).length === 0) {
        throw new WaitingError(
          'MemberNotReady',
          `Instance ${m.instanceRef.name} reports no interface yet`,
        );
      }
      throw outside(target, vpcName, 'has no interface in this VPC');
    }
    nicName = inVpc;
  }
  const nic = c.nics.get(`${ns}/${nicName}`);
  if (!nic) {
    throw new WaitingError(
      'MemberNotFound',
      `NetworkInterface ${nicName} does not exist in namespace ${ns}`,
    );
  }
  const subnet = c.subnets.get(`${ns}/${nic.spec.subnetRef.name}`);
  if (subnet && subnet.spec.vpcRef.name !== vpcName) {
    throw outside(target, vpcName, `is in VPC ${subnet.spec.vpcRef.name}`);
  }
  const ip = nic.status?.ipAddress;
  const logicalPort = nic.status?.portName;
  if (!subnet || !ip || !logicalPort || !isReady(nic)) {
    throw new WaitingError('MemberNotReady', `NetworkInterface ${nicName} has no address yet`);
  }
  return { ...base, target, ip, logicalPort };
}

/** Every member of every pool, by pool; the first wait or refusal met is thrown. */
export function resolveMembers(
  c: Caches,
  lb: LoadBalancerObject,
  where: Placement,
): Map<string, ResolvedMember[]> {
  const out = new Map<string, ResolvedMember[]>();
  let waiting: WaitingError | undefined;
  for (const pool of lb.spec.backendPools) {
    const members: ResolvedMember[] = [];
    for (const m of pool.members) {
      try {
        members.push(resolveMember(c, lb, where, pool.name, m));
      } catch (err) {
        // A refusal is reported before a wait: a wait ends by itself, a refusal needs an edit.
        if (err instanceof WaitingError) waiting ??= err;
        else throw err;
      }
    }
    const entries = weightedBackends(members.filter((m) => !m.drain)).length;
    if (entries > maxBackendEntries) {
      throw new ReconcileError(
        'WeightsTooFine',
        `backend pool ${pool.name}: its members' weights, divided by their greatest common divisor, add up to ${String(entries)}; OVN is given each backend once per share, at most ${String(maxBackendEntries)} per listener: use coarser weights (such as 1 to 10)`,
        { retry: false },
      );
    }
    out.set(pool.name, members);
  }
  if (waiting) throw waiting;
  return out;
}
