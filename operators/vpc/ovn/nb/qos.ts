// QoS rows of a logical switch (its qos_rules): the bandwidth meters of interfaces. Several
// interfaces share a switch, so each manages only the rows whose external_ids name it, one row
// per direction.
import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { QoS } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import { ownerKeys } from '../ownership.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';
import { findSwitch } from './logical-switch.ts';

const ops = operationsFor<nb.Tables>();

export type DesiredQoS = Desired<QoS> & Pick<QoS, 'direction' | 'match' | 'priority'>;

/** The switch's QoS rows written for the object with this UID. */
export function switchQoS(c: NbOvsdb, switchName: string, ownerUid: string): QoS[] {
  const sw = findSwitch(c, switchName);
  if (!sw) return [];
  const rows = c.replica.table('QoS');
  return sw.qos_rules
    .map((uuid) => rows.get(uuid))
    .filter((r): r is QoS => r !== undefined && r.external_ids[ownerKeys.uid] === ownerUid);
}

/**
 * The operations that make the switch's QoS rows owned by `ownerUid` exactly `desired`, matched
 * by direction (changed ones updated in place, missing ones inserted, extra ones removed: the
 * server deletes a row nothing refers to). Empty when they already match.
 */
function qosOperations(
  c: NbOvsdb,
  switchName: string,
  ownerUid: string,
  desired: readonly DesiredQoS[],
): Operation[] {
  const sw = findSwitch(c, switchName);
  if (!sw) throw new Error(`logical switch ${switchName} does not exist`);
  const wanted = new Map<string, DesiredQoS>();
  for (const row of desired) {
    if (wanted.has(row.direction)) {
      throw new Error(`${switchName}: two QoS rows of ${ownerUid} for ${row.direction}`);
    }
    wanted.set(row.direction, row);
  }
  const where = [['_uuid', '==', sw._uuid]] as const;
  const operations: Operation[] = [];
  const extra: string[] = [];
  const matched = new Set<string>();
  for (const current of switchQoS(c, switchName, ownerUid)) {
    const want = wanted.get(current.direction);
    if (!want || matched.has(current.direction)) {
      extra.push(current._uuid);
      continue;
    }
    matched.add(current.direction);
    const changed = changedColumns(current, want);
    if (changed) operations.push(ops.update('QoS', [['_uuid', '==', current._uuid]], changed));
  }
  if (extra.length > 0)
    operations.push(ops.mutate('Logical_Switch', where, [['qos_rules', 'delete', extra]]));
  const added: string[] = [];
  for (const [direction, row] of wanted) {
    if (matched.has(direction)) continue;
    const uuidName = `new_qos_${String(added.length)}`;
    operations.push(ops.insert('QoS', row, uuidName));
    added.push(uuidName);
  }
  if (added.length > 0)
    operations.push(ops.mutate('Logical_Switch', where, [['qos_rules', 'insert', added]]));
  return operations;
}

/** Whether the switch exists and its QoS rows owned by `ownerUid` are exactly `desired`. */
export function switchQoSMatch(
  c: NbOvsdb,
  switchName: string,
  ownerUid: string,
  desired: readonly DesiredQoS[],
): boolean {
  if (!findSwitch(c, switchName)) return false;
  return qosOperations(c, switchName, ownerUid, desired).length === 0;
}

/**
 * Makes the switch's QoS rows owned by `ownerUid` exactly `desired` (empty removes them), in
 * one transaction. Throws when the switch does not exist. Returns whether anything was written.
 */
export async function ensureSwitchQoS(
  c: NbOvsdb,
  switchName: string,
  ownerUid: string,
  desired: readonly DesiredQoS[],
): Promise<boolean> {
  const operations = qosOperations(c, switchName, ownerUid, desired);
  if (operations.length === 0) return false;
  await c.transact(operations);
  return true;
}

/** Removes every QoS row owned by `ownerUid` from whichever switches hold them. */
export async function deleteQoSOf(c: NbOvsdb, ownerUid: string): Promise<boolean> {
  const rows = c.replica.table('QoS');
  const holders = c.replica
    .table('Logical_Switch')
    .filter((sw) =>
      sw.qos_rules.some((u) => rows.get(u)?.external_ids[ownerKeys.uid] === ownerUid),
    );
  let changed = false;
  for (const sw of holders) {
    changed = (await ensureSwitchQoS(c, sw.name, ownerUid, [])) || changed;
  }
  return changed;
}
