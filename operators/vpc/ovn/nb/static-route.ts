import type { LogicalRouterStaticRoute } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import type { NbOvsdb } from './columns.ts';
import {
  deleteRouterChildrenOf,
  ensureRouterChildren,
  routerChildrenMatch,
  routerChildrenOf,
} from './router-children.ts';

export type DesiredStaticRoute = Desired<LogicalRouterStaticRoute> &
  Pick<LogicalRouterStaticRoute, 'ip_prefix' | 'nexthop' | 'route_table'>;

const table = 'Logical_Router_Static_Route';

// One route per destination in a table: the prefix identifies it.
const routeKey = (r: Partial<LogicalRouterStaticRoute>) =>
  `${r.route_table ?? ''}\u0000${r.ip_prefix ?? ''}`;

/** The router's static routes written for the object with this UID. */
export function staticRoutesOf(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
): LogicalRouterStaticRoute[] {
  return routerChildrenOf(c, table, routerName, ownerUid);
}

/** Whether the router exists and its routes owned by `ownerUid` are exactly `desired`. */
export function staticRoutesMatch(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
  desired: readonly DesiredStaticRoute[],
): boolean {
  return routerChildrenMatch(c, table, routerName, ownerUid, desired, routeKey);
}

/**
 * Makes the router's routes owned by `ownerUid` exactly `desired` (empty removes them), in one
 * transaction. Throws when the router does not exist. Returns whether anything was written.
 */
export function ensureStaticRoutes(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
  desired: readonly DesiredStaticRoute[],
): Promise<boolean> {
  return ensureRouterChildren(c, table, routerName, ownerUid, desired, routeKey);
}

/** Removes every route owned by `ownerUid` from whichever routers hold them. */
export function deleteStaticRoutesOf(c: NbOvsdb, ownerUid: string): Promise<boolean> {
  return deleteRouterChildrenOf(c, table, ownerUid);
}
