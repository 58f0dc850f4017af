// Rows a router holds in a set column and that several objects write into: static routes
// (RouteTables), policies (NetworkACLs) and NAT rows (NATGateways). Each object manages only the rows whose
// external_ids name it, so writers never undo each other.
import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { Desired } from '../desired.ts';
import { ownerKeys } from '../ownership.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';
import { findRouter } from './logical-router.ts';

const ops = operationsFor<nb.Tables>();

export type RouterChildTable = 'Logical_Router_Static_Route' | 'Logical_Router_Policy' | 'NAT';

const columnOf = {
  Logical_Router_Static_Route: 'static_routes',
  Logical_Router_Policy: 'policies',
  NAT: 'nat',
} as const;

interface ChildRow {
  _uuid: string;
  external_ids: Record<string, string>;
}

/** The router's rows in `table` written for the object with this UID. */
export function routerChildrenOf<N extends RouterChildTable>(
  c: NbOvsdb,
  table: N,
  routerName: string,
  ownerUid: string,
): nb.Tables[N][] {
  const router = findRouter(c, routerName);
  if (!router) return [];
  const rows = c.replica.table(table);
  return router[columnOf[table]]
    .map((uuid) => rows.get(uuid))
    .filter(
      (r): r is nb.Tables[N] =>
        r !== undefined && (r as ChildRow).external_ids[ownerKeys.uid] === ownerUid,
    );
}

/**
 * The operations that make the router's rows owned by `ownerUid` exactly `desired` (matched by
 * `key`: changed ones updated in place, missing ones inserted, extra ones removed); empty when
 * they already match. Throws when the router does not exist.
 */
function childOperations<N extends RouterChildTable>(
  c: NbOvsdb,
  table: N,
  routerName: string,
  ownerUid: string,
  desired: readonly Desired<nb.Tables[N]>[],
  key: (row: Partial<nb.Tables[N]>) => string,
): Operation[] {
  const router = findRouter(c, routerName);
  if (!router) throw new Error(`logical router ${routerName} does not exist`);
  const column = columnOf[table];
  const wanted = new Map(desired.map((d) => [key(d as Partial<nb.Tables[N]>), d]));
  const where = [['_uuid', '==', router._uuid]] as const;
  const operations: Operation[] = [];
  const extra: string[] = [];
  const matched = new Set<string>();
  for (const current of routerChildrenOf(c, table, routerName, ownerUid)) {
    const k = key(current);
    const want = wanted.get(k);
    if (!want || matched.has(k)) {
      extra.push((current as ChildRow)._uuid);
      continue;
    }
    matched.add(k);
    const changed = changedColumns(current as object, want as object);
    if (changed) {
      operations.push(
        ops.update(table, [['_uuid', '==', (current as ChildRow)._uuid]] as never, changed),
      );
    }
  }
  if (extra.length > 0)
    operations.push(ops.mutate('Logical_Router', where, [[column, 'delete', extra]]));
  const added: string[] = [];
  for (const [k, row] of wanted) {
    if (matched.has(k)) continue;
    const uuidName = `new_child_${String(added.length)}`;
    operations.push(ops.insert(table, row as never, uuidName));
    added.push(uuidName);
  }
  if (added.length > 0)
    operations.push(ops.mutate('Logical_Router', where, [[column, 'insert', added]]));
  return operations;
}

/** Whether the router exists and its rows owned by `ownerUid` are exactly `desired`. */
export function routerChildrenMatch<N extends RouterChildTable>(
  c: NbOvsdb,
  table: N,
  routerName: string,
  ownerUid: string,
  desired: readonly Desired<nb.Tables[N]>[],
  key: (row: Partial<nb.Tables[N]>) => string,
): boolean {
  if (!findRouter(c, routerName)) return false;
  return childOperations(c, table, routerName, ownerUid, desired, key).length === 0;
}

/**
 * Makes the router's rows owned by `ownerUid` exactly `desired` (empty removes them), in one
 * transaction. Throws when the router does not exist. Returns whether anything was written.
 */
export async function ensureRouterChildren<N extends RouterChildTable>(
  c: NbOvsdb,
  table: N,
  routerName: string,
  ownerUid: string,
  desired: readonly Desired<nb.Tables[N]>[],
  key: (row: Partial<nb.Tables[N]>) => string,
): Promise<boolean> {
  const operations = childOperations(c, table, routerName, ownerUid, desired, key);
  if (operations.length === 0) return false;
  await c.transact(operations);
  return true;
}

/** Names of the routers holding rows of `table` owned by `ownerUid`. */
export function routersWithChildrenOf(
  c: NbOvsdb,
  table: RouterChildTable,
  ownerUid: string,
): string[] {
  const rows = c.replica.table(table);
  return c.replica
    .table('Logical_Router')
    .filter((r) =>
      r[columnOf[table]].some(
        (u) => (rows.get(u) as ChildRow | undefined)?.external_ids[ownerKeys.uid] === ownerUid,
      ),
    )
    .map((r) => r.name);
}

/** Removes every row of `table` owned by `ownerUid` from whichever routers hold them. */
export async function deleteRouterChildrenOf(
  c: NbOvsdb,
  table: RouterChildTable,
  ownerUid: string,
): Promise<boolean> {
  let changed = false;
  for (const router of routersWithChildrenOf(c, table, ownerUid)) {
    changed = (await ensureRouterChildren(c, table, router, ownerUid, [], () => '')) || changed;
  }
  return changed;
}
