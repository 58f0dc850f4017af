import type { LogicalRouterPolicy } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import type { NbOvsdb } from './columns.ts';
import {
  deleteRouterChildrenOf,
  ensureRouterChildren,
  routerChildrenMatch,
  routersWithChildrenOf,
} from './router-children.ts';

export type DesiredRouterPolicy = Desired<LogicalRouterPolicy> &
  Pick<LogicalRouterPolicy, 'priority' | 'match' | 'action'>;

const table = 'Logical_Router_Policy';

// A policy is identified by where it sits in the order and what it matches.
const policyKey = (p: Partial<LogicalRouterPolicy>) =>
  `${String(p.priority ?? '')}\u0000${p.match ?? ''}`;

/** Whether the router exists and its policies owned by `ownerUid` are exactly `desired`. */
export function routerPoliciesMatch(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
  desired: readonly DesiredRouterPolicy[],
): boolean {
  return routerChildrenMatch(c, table, routerName, ownerUid, desired, policyKey);
}

/** Makes the router's policies owned by `ownerUid` exactly `desired` (empty removes them). */
export function ensureRouterPolicies(
  c: NbOvsdb,
  routerName: string,
  ownerUid: string,
  desired: readonly DesiredRouterPolicy[],
): Promise<boolean> {
  return ensureRouterChildren(c, table, routerName, ownerUid, desired, policyKey);
}

/** Names of the routers holding policies owned by `ownerUid`. */
export function routersWithPoliciesOf(c: NbOvsdb, ownerUid: string): string[] {
  return routersWithChildrenOf(c, table, ownerUid);
}

/** Removes every policy owned by `ownerUid` from whichever routers hold them. */
export function deleteRouterPoliciesOf(c: NbOvsdb, ownerUid: string): Promise<boolean> {
  return deleteRouterChildrenOf(c, table, ownerUid);
}
