// Rows whose owner is gone. Finalizers remove an object's rows before the object goes, but rows
// can still outlive their owner: an object force-deleted (finalizer removed by hand), a
// database restored from a backup, a manager that crashed between two writes of a delete. The
// shared orphan sweep (controllers/orphans) decides when an owner is gone; this file lists the
// owners the rows name and removes an owner's rows the way that object's own delete would.
import type { BackendObject } from '../../../controllers/orphans/index.ts';
import { deleteLoadBalancersOf } from '../../../controllers/ovn-nb/index.ts';
import { ownerOf, type Owner } from '../ovn/index.ts';
import { ownedBy, ownedTables, switchesWithACLsOf, type NbClient } from '../ovn/nb/index.ts';

/** The OVN rows of one owner, as the orphan sweep sees them: one entry per owner UID. */
export interface OwnedRows extends BackendObject {
  owner: Owner;
}

/** Every owner that rows in the database name, once each. */
export function ownersOfRows(nb: NbClient): OwnedRows[] {
  const found = new Map<string, OwnedRows>();
  for (const table of ownedTables) {
    for (const row of nb.ovsdb.replica.table(table).rows()) {
      const owner = ownerOf((row as { external_ids: Record<string, string> }).external_ids);
      if (owner && !found.has(owner.uid)) {
        found.set(owner.uid, { id: `rows of ${owner.uid}`, kind: owner.kind, owner });
      }
    }
  }
  return [...found.values()];
}

/**
 * Removes every row the owner's external_ids name, table by table, as the writers of those
 * rows would (a port leaves its switch, a route its router), whatever the rows are called.
 */
export async function removeRowsOf(nb: NbClient, owner: Owner): Promise<void> {
  const replica = nb.ovsdb.replica;
  const owned = ownedBy(owner.uid);
  for (const router of nb.ownedRows('Logical_Router', owned)) await nb.deleteRouter(router.name);
  for (const sw of nb.ownedRows('Logical_Switch', owned)) await nb.deleteSwitch(sw.name);
  for (const port of nb.ownedRows('Logical_Router_Port', owned)) {
    const router = replica
      .table('Logical_Router')
      .rows()
      .find((r) => r.ports.includes(port._uuid));
    if (router) await nb.deleteRouterPort(router.name, port.name);
  }
  for (const port of nb.ownedRows('Logical_Switch_Port', owned)) {
    const sw = replica
      .table('Logical_Switch')
      .rows()
      .find((r) => r.ports.includes(port._uuid));
    if (sw) await nb.deleteSwitchPort(sw.name, port.name);
  }
  await nb.deleteDhcpOptions(owner.uid);
  for (const group of nb.ownedRows('Port_Group', owned)) await nb.deletePortGroup(group.name);
  for (const sw of switchesWithACLsOf(nb.ovsdb, owner.uid)) {
    await nb.ensureSwitchACLs(sw, owner.uid, []);
  }
  await nb.deleteStaticRoutesOf(owner.uid);
  await nb.deleteRouterPoliciesOf(owner.uid);
  await nb.deleteQoSOf(owner.uid);
  await nb.deleteNatsOf(owner.uid);
  await deleteLoadBalancersOf(nb.ovsdb, ownedBy(owner.uid));
}
