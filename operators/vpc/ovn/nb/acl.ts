import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { ACL, PortGroup } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { DesiredACL } from '../security-groups.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';
import { findPortGroup } from './port-group.ts';

const ops = operationsFor<nb.Tables>();

// A rule's name is unique per group and direction, so that pair identifies its ACL.
function aclKey(acl: Pick<ACL, 'name' | 'direction'>): string {
  return `${acl.direction}\u0000${acl.name ?? ''}`;
}

/** The ACL rows in the port group's `acls` set. */
export function portGroupACLs(c: NbOvsdb, pgName: string): ACL[] {
  const group = findPortGroup(c, pgName);
  if (!group) return [];
  const acls = c.replica.table('ACL');
  return group.acls.map((uuid) => acls.get(uuid)).filter((a): a is ACL => a !== undefined);
}

/**
 * The operations that make the group's ACLs exactly `desired`: ACLs are matched by name and
 * direction, changed ones updated in place, missing ones inserted and extra ones removed (the
 * server deletes an ACL no group or switch refers to). Empty when they already match.
 */
function aclOperations(c: NbOvsdb, group: PortGroup, desired: readonly DesiredACL[]): Operation[] {
  const wanted = new Map<string, DesiredACL>();
  for (const acl of desired) {
    const key = aclKey(acl);
    if (wanted.has(key)) {
      throw new Error(
        `port group ${group.name}: two ACLs named ${String(acl.name)} (${acl.direction})`,
      );
    }
    wanted.set(key, acl);
  }
  const where = [['_uuid', '==', group._uuid]] as const;
  const operations: Operation[] = [];
  const extra: string[] = [];
  const matched = new Set<string>();
  for (const current of portGroupACLs(c, group.name)) {
    const key = aclKey(current);
    const want = wanted.get(key);
    if (!want || matched.has(key)) {
      extra.push(current._uuid);
      continue;
    }
    matched.add(key);
    const changed = changedColumns(current, want);
    if (changed) operations.push(ops.update('ACL', [['_uuid', '==', current._uuid]], changed));
  }
  if (extra.length > 0)
    operations.push(ops.mutate('Port_Group', where, [['acls', 'delete', extra]]));
  const added: string[] = [];
  for (const [key, acl] of wanted) {
    if (matched.has(key)) continue;
    const uuidName = `new_acl_${String(added.length)}`;
    operations.push(ops.insert('ACL', acl, uuidName));
    added.push(uuidName);
  }
  if (added.length > 0)
    operations.push(ops.mutate('Port_Group', where, [['acls', 'insert', added]]));
  return operations;
}

/** Whether the port group exists and its ACLs are exactly `desired`. */
export function portGroupACLsMatch(
  c: NbOvsdb,
  pgName: string,
  desired: readonly DesiredACL[],
): boolean {
  const group = findPortGroup(c, pgName);
  return group !== undefined && aclOperations(c, group, desired).length === 0;
}

/**
 * Makes the port group's ACLs exactly `desired`, in one transaction. Throws when the group
 * does not exist. Returns whether anything was written.
 */
export async function ensurePortGroupACLs(
  c: NbOvsdb,
  pgName: string,
  desired: readonly DesiredACL[],
): Promise<boolean> {
  const group = findPortGroup(c, pgName);
  if (!group) throw new Error(`port group ${pgName} does not exist`);
  const operations = aclOperations(c, group, desired);
  if (operations.length === 0) return false;
  await c.transact(operations);
  return true;
}
