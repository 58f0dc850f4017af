// Which objects a change of another object affects, found through cache indexes: a watch maps a
// change only to the objects that read the changed one, never to every object of the namespace
// (which made the work of N SecurityGroups or NetworkACLs grow with N²).
import type { Cache, IndexFunc } from '../../../controllers/informer/index.ts';
import { objectKey, type KubeObject } from '../../../controllers/kube/index.ts';
import type {
  NetworkACLObject,
  NetworkInterfaceObject,
  RouteTableObject,
  SecurityGroupObject,
  SubnetObject,
} from '../api/index.ts';

/** `namespace/name` of the object a reference in the same namespace points at. */
export const sameNamespace = (obj: KubeObject, name: string) =>
  `${obj.metadata.namespace ?? ''}/${name}`;

const keys = (objs: readonly KubeObject[]) => objs.map((o) => objectKey(o));
const unique = (values: string[]) => [...new Set(values)];

/** SecurityGroups by their VPC, and by the groups their rules name. */
export const securityGroupIndexers: Record<string, IndexFunc<SecurityGroupObject>> = {
  vpc: (g) => [sameNamespace(g, g.spec.vpcRef.name)],
  remoteGroup: (g) =>
    unique(
      (g.spec.rules ?? []).flatMap((r) =>
        r.remoteSecurityGroupRef ? [sameNamespace(g, r.remoteSecurityGroupRef.name)] : [],
      ),
    ),
};

/** NetworkACLs by the Subnets they name. */
export const networkAclIndexers: Record<string, IndexFunc<NetworkACLObject>> = {
  subnet: (a) => unique(a.spec.subnetRefs.map((r) => sameNamespace(a, r.name))),
};

/** RouteTables by the interfaces their routes send traffic to. */
export const routeTableNextHopIndexer: IndexFunc<RouteTableObject> = (t) =>
  unique(
    t.spec.routes.flatMap((r) =>
      r.nextHopInterfaceRef ? [sameNamespace(t, r.nextHopInterfaceRef.name)] : [],
    ),
  );

/** The SecurityGroups whose rules name `group`: its uid and VPC go into their ACLs. */
export function groupsNaming(
  groups: Cache<SecurityGroupObject>,
  group: SecurityGroupObject,
): string[] {
  return keys(groups.byIndex('remoteGroup', objectKey(group)));
}

/** The SecurityGroups of a VPC: its uid decides their members. */
export function groupsOfVpc(groups: Cache<SecurityGroupObject>, vpc: KubeObject): string[] {
  return keys(groups.byIndex('vpc', objectKey(vpc)));
}

/** The NetworkACLs that name the Subnet. */
export function aclsOfSubnet(acls: Cache<NetworkACLObject>, subnet: SubnetObject): string[] {
  return keys(acls.byIndex('subnet', objectKey(subnet)));
}

/**
 * The other NetworkACLs naming a Subnet `acl` names: which one holds a Subnet depends on all
 * that name it (the oldest wins), so a change of one can free or take a Subnet of another.
 */
export function aclsSharingSubnets(acls: Cache<NetworkACLObject>, acl: NetworkACLObject): string[] {
  const own = objectKey(acl);
  return unique(
    acl.spec.subnetRefs.flatMap((r) =>
      keys(acls.byIndex('subnet', sameNamespace(acl, r.name))).filter((k) => k !== own),
    ),
  );
}

/** The interfaces that name `group`: one naming a group of another VPC is refused. */
export function interfacesNaming(
  nics: Cache<NetworkInterfaceObject>,
  group: SecurityGroupObject,
): string[] {
  return keys(nics.byIndex('securityGroup', objectKey(group)));
}

/** The RouteTables with a route to the interface. */
export function tablesRoutingTo(
  tables: Cache<RouteTableObject>,
  nic: NetworkInterfaceObject,
): string[] {
  return keys(tables.byIndex('nextHopInterface', objectKey(nic)));
}
