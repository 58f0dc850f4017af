import type { NAT } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import type { NbOvsdb } from './columns.ts';
import {
  deleteRouterChildrenOf,
  ensureRouterChildren,
  routerChildrenMatch,
  routerChildrenOf,
  routersWithChildrenOf,
} from './router-children.ts';

export type DesiredNat = Desired<NAT> & Pick<NAT, 'type' | 'external_ip' | 'logical_ip'>;

const table = 'NAT';

// OVN translates one logical range to one external address per type: that pair is the row.
const natKey = (n: Partial<NAT>) =>
  `${n.type ?? ''}\u0000${n.external_ip ?? ''}\u0000${n.logical_ip ?? ''}`;

/** The router's NAT rows written for the object with this UID. */
export function natsOf(c: NbOvsdb, routerName: string, ownerUid: string): NAT[] {
  return routerChildrenOf(c, table, routerName, ownerUid);
}

/** Whether the router exists and its NAT rows owned by `ownerUid` are exactly `desired`. */
export function natsMatch(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
  desired: readonly DesiredNat[],
): boolean {
  return routerChildrenMatch(c, table, routerName, ownerUid, desired, natKey);
}

/** Makes the router's NAT rows owned by `ownerUid` exactly `desired` (empty removes them). */
export function ensureNats(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
  desired: readonly DesiredNat[],
): Promise<boolean> {
  return ensureRouterChildren(c, table, routerName, ownerUid, desired, natKey);
}

/** Names of the routers holding NAT rows owned by `ownerUid`. */
export function routersWithNatsOf(c: NbOvsdb, ownerUid: string): string[] {
  return routersWithChildrenOf(c, table, ownerUid);
}

/** Removes every NAT row owned by `ownerUid` from whichever routers hold them. */
export function deleteNatsOf(c: NbOvsdb, ownerUid: string): Promise<boolean> {
  return deleteRouterChildrenOf(c, table, ownerUid);
}
