import { operationsFor, type nb } from '../../../../controllers/ovsdb/index.ts';
import type { PortGroup } from '../../../../controllers/ovsdb/nb/tables.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';

const ops = operationsFor<nb.Tables>();

export function findPortGroup(c: NbOvsdb, name: string): PortGroup | undefined {
  return c.replica.table('Port_Group').findByName(name);
}

function requirePortGroup(c: NbOvsdb, name: string): PortGroup {
  const group = findPortGroup(c, name);
  if (!group) throw new Error(`port group ${name} does not exist`);
  return group;
}

/**
 * Creates the port group or brings its external_ids in line and its ports to exactly
 * `portUuids` (switch port uuids); returns its uuid. Its ACLs are left to ensurePortGroupACLs.
 */
export async function ensurePortGroup(
  c: NbOvsdb,
  name: string,
  externalIds: Record<string, string>,
  portUuids: readonly string[],
): Promise<string> {
  const desired = { name, external_ids: externalIds, ports: [...new Set(portUuids)] };
  const existing = findPortGroup(c, name);
  if (!existing) {
    const [inserted] = await c.transact([ops.insert('Port_Group', desired)]);
    return inserted.uuid;
  }
  const changed = changedColumns(existing, desired);
  if (changed) {
    await c.transact([ops.update('Port_Group', [['_uuid', '==', existing._uuid]], changed)]);
  }
  return existing._uuid;
}

/** Adds the switch ports to the group; those already in it are left alone. */
export async function addPortsToGroup(
  c: NbOvsdb,
  name: string,
  portUuids: readonly string[],
): Promise<boolean> {
  const group = requirePortGroup(c, name);
  const missing = [...new Set(portUuids)].filter((uuid) => !group.ports.includes(uuid));
  if (missing.length === 0) return false;
  await c.transact([
    ops.mutate('Port_Group', [['_uuid', '==', group._uuid]], [['ports', 'insert', missing]]),
  ]);
  return true;
}

/** Removes the switch ports from the group; those not in it are ignored. */
export async function removePortsFromGroup(
  c: NbOvsdb,
  name: string,
  portUuids: readonly string[],
): Promise<boolean> {
  const group = findPortGroup(c, name);
  const present = group ? [...new Set(portUuids)].filter((uuid) => group.ports.includes(uuid)) : [];
  if (!group || present.length === 0) return false;
  await c.transact([
    ops.mutate('Port_Group', [['_uuid', '==', group._uuid]], [['ports', 'delete', present]]),
  ]);
  return true;
}

/** Deletes the port group; its ACLs go with it. */
export async function deletePortGroup(c: NbOvsdb, name: string): Promise<boolean> {
  const group = findPortGroup(c, name);
  if (!group) return false;
  await c.transact([ops.delete('Port_Group', [['_uuid', '==', group._uuid]])]);
  return true;
}
