// Checks across objects, made before anything is written to OVN: an object that breaks one
// gets Ready=False with a specific reason and nothing in the network.
import type { Cache } from '../../../controllers/informer/index.ts';
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { SubnetObject, VPCObject } from '../api/index.ts';
import { containsCidr, formatIPv4, overlaps, parseCidr } from '../ipam/index.ts';

export function isReady(obj: {
  status?: { conditions?: { type: string; status: string }[] };
}): boolean {
  return obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The Subnet another object names in its namespace, ready to be used. */
export function readySubnet(
  subnets: Cache<SubnetObject>,
  namespace: string,
  name: string,
): SubnetObject {
  const subnet = subnets.get(`${namespace}/${name}`);
  if (!subnet) {
    throw new ReconcileError(
      'SubnetNotFound',
      `Subnet ${name} does not exist in namespace ${namespace}`,
    );
  }
  if (!isReady(subnet) || subnet.metadata.deletionTimestamp) {
    throw new ReconcileError('SubnetNotReady', `Subnet ${name} is not ready`);
  }
  return subnet;
}

/** The Subnet's VPC, ready to take router ports. */
export function vpcOf(subnet: SubnetObject, vpcs: Cache<VPCObject>): VPCObject {
  const ns = subnet.metadata.namespace ?? '';
  const vpc = vpcs.get(`${ns}/${subnet.spec.vpcRef.name}`);
  if (!vpc) {
    throw new ReconcileError(
      'VPCNotFound',
      `VPC ${subnet.spec.vpcRef.name} does not exist in namespace ${ns}`,
    );
  }
  if (!isReady(vpc) || vpc.metadata.deletionTimestamp) {
    throw new ReconcileError('VPCNotReady', `VPC ${subnet.spec.vpcRef.name} is not ready`);
  }
  return vpc;
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
