// The Subnet addresses a LoadBalancer holds, as NetworkInterfaces it owns: the VIP, and the
// source of OVN's health probes when a pool is checked. The VPC operator allocates them like
// any interface's address, so no interface can take them, and it reports them in status; the
// VIP's interface only reserves its address (the router answers ARP for the VIP).
import { WaitingError, ReconcileError } from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkInterfaceObject } from '../../vpc/index.ts';
import { NetworkInterface } from '../../vpc/index.ts';
import { LoadBalancer, type LoadBalancerObject } from '../api/index.ts';
import { isReady } from './references.ts';

/** The label on a LoadBalancer's interfaces: its name. */
export const loadBalancerLabel = 'slb.kcloud.io/load-balancer';

export type Role = 'vip' | 'monitor';

export const reservationName = (lb: LoadBalancerObject, role: Role) =>
  `${lb.metadata.name ?? ''}-${role}`;

/** The roles a LoadBalancer needs addresses for. */
export function rolesOf(lb: LoadBalancerObject): Role[] {
  return lb.spec.backendPools.some((p) => p.healthCheck) ? ['vip', 'monitor'] : ['vip'];
}

/** The NetworkInterface holding one address of the LoadBalancer, as it is applied. */
export function reservation(lb: LoadBalancerObject, role: Role): NetworkInterfaceObject {
  return {
    apiVersion: NetworkInterface.apiVersion,
    kind: 'NetworkInterface',
    metadata: {
      name: reservationName(lb, role),
      namespace: lb.metadata.namespace ?? '',
      labels: { [loadBalancerLabel]: lb.metadata.name ?? '' },
      ownerReferences: [
        {
          apiVersion: LoadBalancer.apiVersion,
          kind: 'LoadBalancer',
          name: lb.metadata.name ?? '',
          uid: lb.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      subnetRef: { name: lb.spec.subnetRef.name },
      ...(role === 'vip' && lb.spec.vip !== undefined ? { ipAddress: lb.spec.vip } : {}),
      // The VIP is answered by the VPC's router, which has the Load_Balancer rows: a port
      // answering ARP for it would take the Subnet's own clients to a MAC nothing listens on.
      // The monitor address stays an ordinary port: the members answer its health probes.
      ...(role === 'vip' ? { reserveOnly: true } : {}),
    },
  };
}

const ownedBy = (nic: NetworkInterfaceObject, lb: LoadBalancerObject) =>
  nic.metadata.ownerReferences?.some((r) => r.uid === lb.metadata.uid) ?? false;

/**
 * Whether the LoadBalancer's own interface of a role is there but not as it is applied: a VIP
 * interface that is not reserve-only (made before the field existed, or edited since).
 */
export function stale(
  nics: Pick<Cache<NetworkInterfaceObject>, 'get'>,
  lb: LoadBalancerObject,
  role: Role,
): boolean {
  const nic = nics.get(`${lb.metadata.namespace ?? ''}/${reservationName(lb, role)}`);
  return (
    nic !== undefined &&
    ownedBy(nic, lb) &&
    (reservation(lb, role).spec.reserveOnly ?? false) !== (nic.spec.reserveOnly ?? false)
  );
}

/** What the interface of a role is now: missing, another's, waiting for its address, or held. */
export type Held = { state: 'missing' } | { state: 'allocating' } | { state: 'held'; ip: string };

/**
 * The address a role holds. An interface of that name that is not the LoadBalancer's is a
 * refusal (nothing of another is taken over); one whose address cannot be had (taken, outside
 * the Subnet) passes on its reason.
 */
export function held(
  nics: Pick<Cache<NetworkInterfaceObject>, 'get'>,
  lb: LoadBalancerObject,
  role: Role,
): Held {
  const name = reservationName(lb, role);
  const nic = nics.get(`${lb.metadata.namespace ?? ''}/${name}`);
  if (!nic) return { state: 'missing' };
  if (!ownedBy(nic, lb)) {
    throw new ReconcileError(
      'NameInUse',
      `NetworkInterface ${name} exists and is not this LoadBalancer's; the LoadBalancer keeps its ${role === 'vip' ? 'VIP' : 'health-check source address'} in an interface of that name: rename one of them`,
      { retry: false },
    );
  }
  const ip = nic.status?.ipAddress;
  if (ip && isReady(nic)) return { state: 'held', ip };
  const notReady = nic.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  if (notReady && notReady.reason !== 'Reconciling' && notReady.reason !== 'SubnetNotReady') {
    if (nic.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True')) {
      throw new ReconcileError(
        role === 'vip' ? 'VIPUnavailable' : 'MonitorAddressUnavailable',
        `NetworkInterface ${name}: ${notReady.message}`,
        { retry: false },
      );
    }
  }
  return { state: 'allocating' };
}

export const allocating = (lb: LoadBalancerObject) =>
  new WaitingError(
    'AllocatingVIP',
    `waiting for the Subnet ${lb.spec.subnetRef.name} to give the LoadBalancer its addresses (NetworkInterfaces ${rolesOf(
      lb,
    )
      .map((r) => reservationName(lb, r))
      .join(', ')})`,
  );
