// Which RouteTable and which NetworkACL a Subnet uses. A Subnet has at most one of each: when
// two claim it, the older one (then the name that sorts first) keeps it and the other reports
// the conflict. Both the Subnet's backend and the tables' own backends ask here, so they agree.
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { NetworkACLObject, RouteTableObject, SubnetObject } from '../api/index.ts';

const rank = (o: KubeObject) =>
  `${o.metadata.creationTimestamp ?? ''}\u0000${o.metadata.name ?? ''}`;

function oldest<T extends KubeObject>(candidates: readonly T[]): T | undefined {
  let first: T | undefined;
  for (const c of candidates) {
    if (c.metadata.deletionTimestamp) continue;
    if (!first || rank(c) < rank(first)) first = c;
  }
  return first;
}

const names = (refs: readonly { name: string }[] | undefined) => (refs ?? []).map((r) => r.name);

/** A VPC by namespace and name, as Subnets and RouteTables refer to it. */
interface VpcKey {
  namespace: string | undefined;
  name: string;
}

const vpcOfSubnet = (s: SubnetObject): VpcKey => ({
  namespace: s.metadata.namespace,
  name: s.spec.vpcRef.name,
});

/** RouteTables of the VPC. */
function tablesOfVpc(vpc: VpcKey, tables: readonly RouteTableObject[]) {
  return tables.filter(
    (t) => t.metadata.namespace === vpc.namespace && t.spec.vpcRef.name === vpc.name,
  );
}

/** A RouteTable without subnetRefs is its VPC's main table. */
export const isMainTable = (table: RouteTableObject) => (table.spec.subnetRefs ?? []).length === 0;

/** The VPC's main RouteTable: the oldest table without subnetRefs. */
export function mainRouteTable(
  vpc: VpcKey,
  tables: readonly RouteTableObject[],
): RouteTableObject | undefined {
  return oldest(tablesOfVpc(vpc, tables).filter(isMainTable));
}

/**
 * The RouteTable whose routes apply to the Subnet: the oldest table naming it, else the VPC's
 * main table, else none (only the VPC's own Subnets are reachable).
 */
export function routeTableOf(
  subnet: SubnetObject,
  tables: readonly RouteTableObject[],
): RouteTableObject | undefined {
  const name = subnet.metadata.name ?? '';
  const own = tablesOfVpc(vpcOfSubnet(subnet), tables);
  return (
    oldest(own.filter((t) => names(t.spec.subnetRefs).includes(name))) ??
    mainRouteTable(vpcOfSubnet(subnet), own)
  );
}

/** The NetworkACL that filters the Subnet's traffic: the oldest one naming it. */
export function networkAclOf(
  subnet: SubnetObject,
  acls: readonly NetworkACLObject[],
): NetworkACLObject | undefined {
  const name = subnet.metadata.name ?? '';
  return oldest(
    acls.filter(
      (a) =>
        a.metadata.namespace === subnet.metadata.namespace &&
        names(a.spec.subnetRefs).includes(name),
    ),
  );
}
