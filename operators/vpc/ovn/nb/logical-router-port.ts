import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { LogicalRouterPort } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';
import { findRouter } from './logical-router.ts';

const ops = operationsFor<nb.Tables>();

export type DesiredRouterPort = Desired<LogicalRouterPort> & {
  name: string;
  mac: string;
  networks: string[];
};

export function findRouterPort(c: NbOvsdb, name: string): LogicalRouterPort | undefined {
  return c.replica.table('Logical_Router_Port').findByName(name);
}

/**
 * Makes the port exist with the desired columns and be one of the router's ports, and no
 * other router's. Throws when the router does not exist. Returns the port's uuid.
 */
export async function ensureRouterPort(
  c: NbOvsdb,
  routerName: string,
  desired: DesiredRouterPort,
): Promise<string> {
  const router = findRouter(c, routerName);
  if (!router) throw new Error(`logical router ${routerName} does not exist`);
  const port = findRouterPort(c, desired.name);
  const where = [['_uuid', '==', router._uuid]] as const;
  if (!port) {
    // A router port is not a root row: it must join the router in the same transaction.
    const [inserted] = await c.transact([
      ops.insert('Logical_Router_Port', desired, 'new_port'),
      ops.mutate('Logical_Router', where, [['ports', 'insert', 'new_port']]),
    ]);
    return inserted.uuid;
  }
  const operations: Operation[] = [];
  const changed = changedColumns(port, desired);
  if (changed) {
    operations.push(ops.update('Logical_Router_Port', [['_uuid', '==', port._uuid]], changed));
  }
  for (const other of c.replica.table('Logical_Router').rows()) {
    if (other._uuid !== router._uuid && other.ports.includes(port._uuid)) {
      operations.push(
        ops.mutate(
          'Logical_Router',
          [['_uuid', '==', other._uuid]],
          [['ports', 'delete', port._uuid]],
        ),
      );
    }
  }
  if (!router.ports.includes(port._uuid)) {
    operations.push(ops.mutate('Logical_Router', where, [['ports', 'insert', port._uuid]]));
  }
  if (operations.length > 0) await c.transact(operations);
  return port._uuid;
}

/** Removes the port from the router, which deletes it. */
export async function deleteRouterPort(
  c: NbOvsdb,
  routerName: string,
  portName: string,
): Promise<boolean> {
  const router = findRouter(c, routerName);
  const port = findRouterPort(c, portName);
  if (!router || !port || !router.ports.includes(port._uuid)) return false;
  await c.transact([
    ops.mutate(
      'Logical_Router',
      [['_uuid', '==', router._uuid]],
      [['ports', 'delete', port._uuid]],
    ),
  ]);
  return true;
}
