// What an EIP is bound to, checked before anything is written: a target that is missing or
// not ready yet is waited for; an interface or a LoadBalancer that already has another EIP is
// refused. A NATGateway takes any number of EIPs: its own rules say what each carries.
import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type {
  NATGatewayObject,
  NetworkInterfaceObject,
  SubnetObject,
  VPCObject,
} from '../../vpc/index.ts';
import type { EIPObject } from '../api/index.ts';
import type { LoadBalancerView } from './load-balancer-view.ts';

/** An interface as the data plane needs it: the NAT row translates to its address. */
export interface InterfaceTarget {
  /** `NetworkInterface/web`, as status.boundTo shows it. */
  label: string;
  kind: 'NetworkInterface';
  name: string;
  uid: string;
  /** The target's private address, the NAT's logical IP. */
  ipAddress: string;
  /** The OVN logical switch port of the target. */
  portName: string;
}

/**
 * A NATGateway or a LoadBalancer: the EIP operator gives its VPC router the gateway port, and
 * the target's own controller (VPC, SLB) writes the rows that carry the address.
 */
export interface NATGatewayTarget {
  /** `NATGateway/gw` or `LoadBalancer/web`, as status.boundTo shows it. */
  label: string;
  kind: 'NATGateway' | 'LoadBalancer';
  name: string;
  uid: string;
  /** The VPC the NATGateway translates for, or the LoadBalancer's VIP is in. */
  vpcName: string;
}

/** A bound target. */
export type Target = InterfaceTarget | NATGatewayTarget;

const isReady = (o: { status?: { conditions?: { type: string; status: string }[] } }) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The label of the target an EIP's spec names, or undefined when it is unbound. */
export function boundLabel(eip: EIPObject): string | undefined {
  const {
    networkInterfaceRef: nic,
    natGatewayRef: gw,
    loadBalancerRef: lb,
  } = eip.spec.binding ?? {};
  if (nic) return `NetworkInterface/${nic.name}`;
  if (lb) return `LoadBalancer/${lb.name}`;
  return gw ? `NATGateway/${gw.name}` : undefined;
}

/**
 * Of the EIPs of one namespace naming the same target, the one that has it: the one already
 * bound to it, else the oldest (then by name). The others wait for it to let go.
 */
export function holderOf(claimants: readonly EIPObject[], label: string): EIPObject | undefined {
  const rank = (e: EIPObject) => [
    e.status?.boundTo === label ? 0 : 1,
    e.metadata.creationTimestamp ?? '',
    e.metadata.name ?? '',
  ];
  return [...claimants].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) {
      const [p, q] = [x[i] ?? '', y[i] ?? ''];
      if (p !== q) return p < q ? -1 : 1;
    }
    return 0;
  })[0];
}

/** The target of a bound EIP; undefined for an unbound one. Throws when it cannot be had. */
export function resolveTarget(
  eip: EIPObject,
  caches: {
    eips: Cache<EIPObject>;
    nics: Cache<NetworkInterfaceObject>;
    natGateways: Cache<NATGatewayObject>;
    loadBalancers: Cache<LoadBalancerView>;
    subnets: Cache<SubnetObject>;
  },
): Target | undefined {
  const ns = eip.metadata.namespace ?? '';
  const lbRef = eip.spec.binding?.loadBalancerRef;
  if (lbRef) {
    const label = `LoadBalancer/${lbRef.name}`;
    const holder = holderOf(
      caches.eips.inNamespace(ns).filter((e) => boundLabel(e) === label),
      label,
    );
    if (holder && holder.metadata.uid !== eip.metadata.uid) {
      throw new ReconcileError(
        'TargetHasEIP',
        `LoadBalancer ${lbRef.name} already has EIP ${holder.metadata.name ?? ''}; a target has one EIP: bind this one elsewhere or unbind the other first`,
        { retry: false },
      );
    }
    const lb = caches.loadBalancers.get(`${ns}/${lbRef.name}`);
    if (!lb || lb.metadata.deletionTimestamp) {
      throw new WaitingError(
        'LoadBalancerNotFound',
        `LoadBalancer ${lbRef.name} ${lb ? 'is being deleted' : `does not exist in namespace ${ns}`}`,
      );
    }
    const subnet = caches.subnets.get(`${ns}/${lb.spec.subnetRef.name}`);
    if (!subnet) {
      throw new WaitingError(
        'SubnetNotFound',
        `Subnet ${lb.spec.subnetRef.name} of LoadBalancer ${lbRef.name} does not exist in namespace ${ns}`,
      );
    }
    return {
      label,
      kind: 'LoadBalancer',
      name: lbRef.name,
      uid: lb.metadata.uid ?? '',
      vpcName: subnet.spec.vpcRef.name,
    };
  }
  const gwRef = eip.spec.binding?.natGatewayRef;
  if (gwRef) {
    const gw = caches.natGateways.get(`${ns}/${gwRef.name}`);
    if (!gw || gw.metadata.deletionTimestamp) {
      throw new WaitingError(
        'NATGatewayNotFound',
        `NATGateway ${gwRef.name} ${gw ? 'is being deleted' : `does not exist in namespace ${ns}`}`,
      );
    }
    return {
      label: `NATGateway/${gwRef.name}`,
      kind: 'NATGateway',
      name: gwRef.name,
      uid: gw.metadata.uid ?? '',
      vpcName: gw.spec.vpcRef.name,
    };
  }
  const { eips, nics } = caches;
  const ref = eip.spec.binding?.networkInterfaceRef;
  const label = boundLabel(eip);
  if (!ref || !label) return undefined;
  const claimants = eips.inNamespace(ns).filter((e) => boundLabel(e) === label);
  const holder = holderOf(claimants, label);
  if (holder && holder.metadata.uid !== eip.metadata.uid) {
    throw new ReconcileError(
      'TargetHasEIP',
      `NetworkInterface ${ref.name} already has EIP ${holder.metadata.name ?? ''}; a target has one EIP: bind this one elsewhere or unbind the other first`,
      { retry: false },
    );
  }
  const nic = nics.get(`${ns}/${ref.name}`);
  if (!nic) {
    throw new WaitingError(
      'InterfaceNotFound',
      `NetworkInterface ${ref.name} does not exist in namespace ${ns}`,
    );
  }
  const ipAddress = nic.status?.ipAddress;
  const portName = nic.status?.portName;
  if (nic.metadata.deletionTimestamp || !isReady(nic) || !ipAddress || !portName) {
    throw new WaitingError(
      'InterfaceNotReady',
      `NetworkInterface ${ref.name} ${nic.metadata.deletionTimestamp ? 'is being deleted' : 'is not ready'}`,
    );
  }
  return {
    label,
    kind: 'NetworkInterface',
    name: ref.name,
    uid: nic.metadata.uid ?? '',
    ipAddress,
    portName,
  };
}

/**
 * Whether an EIP bound to a NATGateway or a LoadBalancer of the VPC with this UID holds the VPC
 * router's gateway port: those EIPs have no NAT row of the EIP product that would show it.
 */
export function natGatewaysHold(
  caches: {
    eips: Cache<EIPObject>;
    natGateways: Cache<NATGatewayObject>;
    vpcs: Cache<VPCObject>;
    loadBalancers?: Cache<LoadBalancerView>;
    subnets?: Cache<SubnetObject>;
  },
  vpcUid: string,
): boolean {
  return caches.eips.list().some((e) => {
    const ns = e.metadata.namespace ?? '';
    let vpcName: string | undefined;
    const ref = e.spec.binding?.natGatewayRef;
    if (ref) vpcName = caches.natGateways.get(`${ns}/${ref.name}`)?.spec.vpcRef.name;
    const lbRef = e.spec.binding?.loadBalancerRef;
    if (lbRef) {
      const lb = caches.loadBalancers?.get(`${ns}/${lbRef.name}`);
      vpcName = lb && caches.subnets?.get(`${ns}/${lb.spec.subnetRef.name}`)?.spec.vpcRef.name;
    }
    const vpc = vpcName ? caches.vpcs.get(`${ns}/${vpcName}`) : undefined;
    return vpc !== undefined && vpc.metadata.uid === vpcUid;
  });
}
