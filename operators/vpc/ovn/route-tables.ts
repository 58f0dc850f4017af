// A RouteTable as static routes on its VPC's router, in an OVN route table of its own: OVN
// looks them up only for packets that enter the router from a port whose options:route_table
// names that table, i.e. from the Subnets bound to it. Routes to the VPC's own Subnets
// (directly connected) always win over these, as in any VPC.
import type { DesiredStaticRoute } from './nb/static-route.ts';
import { names, ownerIds, type Owner } from './ownership.ts';

/** OVN's next hop for a route that drops what it matches. */
export const blackhole = 'discard';

export interface ResolvedRoute {
  destination: string;
  /** An IPv4 address, or `blackhole`. */
  nexthop: string;
}

export function desiredRoutes(
  owner: Owner,
  vpcUid: string,
  routes: readonly ResolvedRoute[],
): DesiredStaticRoute[] {
  const ids = ownerIds(owner, vpcUid);
  return routes.map((r) => ({
    route_table: names.routeTable(owner.uid),
    ip_prefix: r.destination,
    nexthop: r.nexthop,
    policy: 'dst-ip',
    external_ids: ids,
  }));
}
