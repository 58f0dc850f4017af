import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { LogicalSwitchPort } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';
import { findSwitch } from './logical-switch.ts';

const ops = operationsFor<nb.Tables>();

export type DesiredSwitchPort = Desired<LogicalSwitchPort> & { name: string };

export interface SwitchPortOptions {
  /** The DHCP_Options row that answers the port's DHCPv4 requests; none when absent. */
  dhcpv4Options?: string;
}

export function findSwitchPort(c: NbOvsdb, name: string): LogicalSwitchPort | undefined {
  return c.replica.table('Logical_Switch_Port').findByName(name);
}

/**
 * Makes the port exist with the desired columns and its DHCPv4 options, and be one of the
 * switch's ports, and no other switch's. Throws when the switch does not exist. Returns the
 * port's uuid.
 */
export async function ensureSwitchPort(
  c: NbOvsdb,
  switchName: string,
  desired: DesiredSwitchPort,
  opts: SwitchPortOptions = {},
): Promise<string> {
  const sw = findSwitch(c, switchName);
  if (!sw) throw new Error(`logical switch ${switchName} does not exist`);
  const row: DesiredSwitchPort = { ...desired, dhcpv4_options: opts.dhcpv4Options };
  const port = findSwitchPort(c, desired.name);
  const where = [['_uuid', '==', sw._uuid]] as const;
  if (!port) {
    // A switch port is not a root row: it must join the switch in the same transaction.
    const [inserted] = await c.transact([
      ops.insert('Logical_Switch_Port', row, 'new_port'),
      ops.mutate('Logical_Switch', where, [['ports', 'insert', 'new_port']]),
    ]);
    return inserted.uuid;
  }
  const operations: Operation[] = [];
  const changed = changedColumns(port, row);
  if (changed) {
    operations.push(ops.update('Logical_Switch_Port', [['_uuid', '==', port._uuid]], changed));
  }
  for (const other of c.replica.table('Logical_Switch').rows()) {
    if (other._uuid !== sw._uuid && other.ports.includes(port._uuid)) {
      operations.push(
        ops.mutate(
          'Logical_Switch',
          [['_uuid', '==', other._uuid]],
          [['ports', 'delete', port._uuid]],
        ),
      );
    }
  }
  if (!sw.ports.includes(port._uuid)) {
    operations.push(ops.mutate('Logical_Switch', where, [['ports', 'insert', port._uuid]]));
  }
  if (operations.length > 0) await c.transact(operations);
  return port._uuid;
}

/** Removes the port from the switch, which deletes it. */
export async function deleteSwitchPort(
  c: NbOvsdb,
  switchName: string,
  portName: string,
): Promise<boolean> {
  const sw = findSwitch(c, switchName);
  const port = findSwitchPort(c, portName);
  if (!sw || !port || !sw.ports.includes(port._uuid)) return false;
  await c.transact([
    ops.mutate('Logical_Switch', [['_uuid', '==', sw._uuid]], [['ports', 'delete', port._uuid]]),
  ]);
  return true;
}
