import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { ACL } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { DesiredACL } from '../security-groups.ts';
import { ownerKeys, rowIdentity } from '../ownership.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';
import { findSwitch } from './logical-switch.ts';
import { findPortGroup } from './port-group.ts';

const ops = operationsFor<nb.Tables>();

/**
 * A row that holds ACLs: a port group (all its ACLs are one SecurityGroup's) or a logical
 * switch (whose ACLs may come from several writers, so only some of them are ours).
 */
interface AclHolder {
  table: 'Port_Group' | 'Logical_Switch';
  uuid: string;
  name: string;
  acls: readonly string[];
  /** Whether an ACL of the holder is managed by this call; the others are left alone. */
  manages: (acl: ACL) => boolean;
}

// A rule is unique per holder and direction, and its external_ids say whether it is a user's
// rule or a built-in row (rowIdentity): direction and identity pick out one ACL.
function aclKey(acl: Pick<ACL, 'name' | 'direction' | 'external_ids'>): string {
  return `${acl.direction}\u0000${rowIdentity(acl.external_ids, acl.name ?? '')}`;
}

function holderACLs(c: NbOvsdb, holder: Pick<AclHolder, 'acls'>): ACL[] {
  const acls = c.replica.table('ACL');
  return holder.acls.map((uuid) => acls.get(uuid)).filter((a): a is ACL => a !== undefined);
}

/** The ACL rows in the port group's `acls` set. */
export function portGroupACLs(c: NbOvsdb, pgName: string): ACL[] {
  const group = findPortGroup(c, pgName);
  return group ? holderACLs(c, group) : [];
}

/**
 * The operations that make the holder's managed ACLs exactly `desired`: ACLs are matched by
 * name and direction, changed ones updated in place, missing ones inserted and extra ones
 * removed (the server deletes an ACL nothing refers to). Empty when they already match.
 */
function aclOperations(c: NbOvsdb, holder: AclHolder, desired: readonly DesiredACL[]): Operation[] {
  const wanted = new Map<string, DesiredACL>();
  for (const acl of desired) {
    const key = aclKey(acl);
    if (wanted.has(key)) {
      throw new Error(`${holder.name}: two ACLs for ${String(acl.name)} (${acl.direction})`);
    }
    wanted.set(key, acl);
  }
  const where = [['_uuid', '==', holder.uuid]] as const;
  const operations: Operation[] = [];
  const extra: string[] = [];
  const matched = new Set<string>();
  for (const current of holderACLs(c, holder).filter(holder.manages)) {
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
    operations.push(ops.mutate(holder.table, where, [['acls', 'delete', extra]]));
  const added: string[] = [];
  for (const [key, acl] of wanted) {
    if (matched.has(key)) continue;
    const uuidName = `new_acl_${String(added.length)}`;
    operations.push(ops.insert('ACL', acl, uuidName));
    added.push(uuidName);
  }
  if (added.length > 0) {
    // ACL rows have no unique index, so nothing else stops a second copy: this transaction
    // holds only while the holder's set is still the one read. An earlier write of the same
    // ACLs that commits late (a clustered database's new leader committing the old term's
    // entries after the client decided again) makes it fail, to be decided again, instead of
    // doubling the rows.
    operations.unshift(
      ops.wait(holder.table as 'Port_Group', {
        where: [['_uuid', '==', holder.uuid]],
        columns: ['acls'],
        until: '==',
        rows: [{ acls: [...holder.acls] }],
        timeout: 0,
      }),
    );
    operations.push(ops.mutate(holder.table, where, [['acls', 'insert', added]]));
  }
  return operations;
}

function portGroupHolder(c: NbOvsdb, pgName: string): AclHolder | undefined {
  const group = findPortGroup(c, pgName);
  if (!group) return undefined;
  return {
    table: 'Port_Group',
    uuid: group._uuid,
    name: group.name,
    acls: group.acls,
    manages: () => true,
  };
}

function switchHolder(c: NbOvsdb, switchName: string, ownerUid: string): AclHolder | undefined {
  const sw = findSwitch(c, switchName);
  if (!sw) return undefined;
  return {
    table: 'Logical_Switch',
    uuid: sw._uuid,
    name: sw.name,
    acls: sw.acls,
    manages: (acl) => acl.external_ids[ownerKeys.uid] === ownerUid,
  };
}

async function ensureACLs(
  c: NbOvsdb,
  holder: AclHolder,
  desired: readonly DesiredACL[],
): Promise<boolean> {
  const operations = aclOperations(c, holder, desired);
  if (operations.length === 0) return false;
  await c.transact(operations);
  return true;
}

/** Whether the port group exists and its ACLs are exactly `desired`. */
export function portGroupACLsMatch(
  c: NbOvsdb,
  pgName: string,
  desired: readonly DesiredACL[],
): boolean {
  const holder = portGroupHolder(c, pgName);
  return holder !== undefined && aclOperations(c, holder, desired).length === 0;
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
  const holder = portGroupHolder(c, pgName);
  if (!holder) throw new Error(`port group ${pgName} does not exist`);
  return ensureACLs(c, holder, desired);
}

/** The switch's ACLs written for the object with this UID. */
export function switchACLs(c: NbOvsdb, switchName: string, ownerUid: string): ACL[] {
  const holder = switchHolder(c, switchName, ownerUid);
  return holder ? holderACLs(c, holder).filter(holder.manages) : [];
}

/** Whether the switch exists and its ACLs owned by `ownerUid` are exactly `desired`. */
export function switchACLsMatch(
  c: NbOvsdb,
  switchName: string,
  ownerUid: string,
  desired: readonly DesiredACL[],
): boolean {
  const holder = switchHolder(c, switchName, ownerUid);
  return holder !== undefined && aclOperations(c, holder, desired).length === 0;
}

/**
 * Makes the switch's ACLs owned by `ownerUid` exactly `desired` (an empty list removes them),
 * leaving its other ACLs alone, in one transaction. Throws when the switch does not exist.
 */
export async function ensureSwitchACLs(
  c: NbOvsdb,
  switchName: string,
  ownerUid: string,
  desired: readonly DesiredACL[],
): Promise<boolean> {
  const holder = switchHolder(c, switchName, ownerUid);
  if (!holder) throw new Error(`logical switch ${switchName} does not exist`);
  return ensureACLs(c, holder, desired);
}

/** Names of the switches holding ACLs owned by `ownerUid`. */
export function switchesWithACLsOf(c: NbOvsdb, ownerUid: string): string[] {
  const acls = c.replica.table('ACL');
  return c.replica
    .table('Logical_Switch')
    .filter((sw) => sw.acls.some((u) => acls.get(u)?.external_ids[ownerKeys.uid] === ownerUid))
    .map((sw) => sw.name);
}
