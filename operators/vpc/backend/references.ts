// Checks across objects, made before anything is written to OVN: an object that breaks one
// gets Ready=False with a specific reason and nothing in the network. A referent that does not
// exist yet, or is not Ready yet, is waited for (GitOps applies objects in any order): the
// watch on its kind brings the object back when it changes (controller/vpc-operator.ts).
import type { Cache } from '../../../controllers/informer/index.ts';
import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { SubnetObject, VPCObject } from '../api/index.ts';
import { containsCidr, formatIPv4, overlaps, parseCidr } from '../ipam/index.ts';

type WithConditions = { status?: { conditions?: { type: string; status: string }[] } };

export function isReady(obj: WithConditions): boolean {
  return obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * How a reference names its referent's kind: in messages (`NetworkInterface`) and in the
 * reasons `<reason>NotFound` and `<reason>NotReady` (`InterfaceNotFound`).
 */
export interface Referent {
  kind: string;
  reason: string;
}

export const referents = {
  vpc: { kind: 'VPC', reason: 'VPC' },
  subnet: { kind: 'Subnet', reason: 'Subnet' },
  securityGroup: { kind: 'SecurityGroup', reason: 'SecurityGroup' },
  networkInterface: { kind: 'NetworkInterface', reason: 'Interface' },
  peerVpc: { kind: 'VPC', reason: 'PeerVPC' },
} satisfies Record<string, Referent>;

/** The wait for a referent that does not exist (yet). */
export function referentNotFound(
  referent: Referent,
  namespace: string,
  name: string,
): WaitingError {
  return new WaitingError(
    `${referent.reason}NotFound`,
    `${referent.kind} ${name} does not exist in namespace ${namespace}`,
  );
}

/** The wait for a referent that is not Ready (yet), or is being deleted. */
export function referentNotReady(
  referent: Referent,
  name: string,
  why = 'is not ready',
): WaitingError {
  return new WaitingError(`${referent.reason}NotReady`, `${referent.kind} ${name} ${why}`);
}

/** The object a reference names in its namespace, Ready and not being deleted; else a wait. */
export function readyReferent<T extends KubeObject & WithConditions>(
  cache: Pick<Cache<T>, 'get'>,
  referent: Referent,
  namespace: string,
  name: string,
): T {
  const obj = cache.get(`${namespace}/${name}`);
  if (!obj) throw referentNotFound(referent, namespace, name);
  if (obj.metadata.deletionTimestamp) throw referentNotReady(referent, name, 'is being deleted');
  if (!isReady(obj)) throw referentNotReady(referent, name);
  return obj;
}

/** The Subnet another object names in its namespace, ready to be used. */
export function readySubnet(
  subnets: Cache<SubnetObject>,
  namespace: string,
  name: string,
): SubnetObject {
  return readyReferent(subnets, referents.subnet, namespace, name);
}

/** The VPC an object names in its namespace, ready to take router ports and routes. */
export function readyVpc(vpcs: Cache<VPCObject>, namespace: string, name: string): VPCObject {
  return readyReferent(vpcs, referents.vpc, namespace, name);
}

/** The Subnet's VPC, ready to take router ports. */
export function vpcOf(subnet: SubnetObject, vpcs: Cache<VPCObject>): VPCObject {
  return readyVpc(vpcs, subnet.metadata.namespace ?? '', subnet.spec.vpcRef.name);
}

/** The Subnet's range lies in one of its VPC's ranges and overlaps no older Subnet of it. */
export function checkSubnetRange(
  subnet: SubnetObject,
  vpc: VPCObject,
  subnets: Cache<SubnetObject>,
): void {
  const range = parseCidr(subnet.spec.cidrBlock);
  if (!vpc.spec.cidrBlocks.some((b) => containsCidr(parseCidr(b), range))) {
    throw new ReconcileError(
      'CIDROutsideVPC',
      `${subnet.spec.cidrBlock} is not inside any range of VPC ${vpc.metadata.name ?? ''} (${vpc.spec.cidrBlocks.join(', ')})`,
      { retry: false },
    );
  }
  const mine = subnet.metadata;
  for (const other of subnets.inNamespace(mine.namespace ?? '')) {
    if (other.metadata.uid === mine.uid || other.spec.vpcRef.name !== subnet.spec.vpcRef.name)
      continue;
    if (!overlaps(range, parseCidr(other.spec.cidrBlock))) continue;
    // A Subnet already in service keeps its range; between two that are not, the older one,
    // then the name that sorts first (creation times have one-second granularity).
    const rank = (x: SubnetObject) =>
      [isReady(x) ? 0 : 1, x.metadata.creationTimestamp ?? '', x.metadata.name ?? ''].join(
        '\u0000',
      );
    const otherFirst = rank(other) < rank(subnet);
    if (otherFirst) {
      throw new ReconcileError(
        'CIDROverlap',
        `${subnet.spec.cidrBlock} overlaps Subnet ${other.metadata.name ?? ''} (${other.spec.cidrBlock}) in the same VPC`,
        { retry: false },
      );
    }
  }
}

/** The gateway of a Subnet: as given, else the first usable address. */
export function gatewayOf(subnet: SubnetObject): string {
  return subnet.spec.gatewayIP ?? formatIPv4(parseCidr(subnet.spec.cidrBlock).network + 1);
}
