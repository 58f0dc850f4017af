import { operationsFor, type nb, type Operation } from '../../../../controllers/ovsdb/index.ts';
import type { LogicalSwitch } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';

const ops = operationsFor<nb.Tables>();

export function findSwitch(c: NbOvsdb, name: string): LogicalSwitch | undefined {
  return c.replica.table('Logical_Switch').findByName(name);
}

/** Creates the switch or brings its managed columns in line; returns its uuid. */
export async function ensureSwitch(
  c: NbOvsdb,
  desired: Desired<LogicalSwitch> & { name: string },
): Promise<string> {
  const existing = findSwitch(c, desired.name);
  if (!existing) {
    const [, inserted] = await c.transact([
      ops.wait('Logical_Switch', {
        where: [['name', '==', desired.name]],
        columns: ['name'],
        until: '==',
        rows: [],
        timeout: 0,
      }),
      ops.insert('Logical_Switch', desired),
    ]);
    return inserted.uuid;
  }
  const changed = changedColumns(existing, desired);
  if (changed) {
    await c.transact([ops.update('Logical_Switch', [['_uuid', '==', existing._uuid]], changed)]);
  }
  return existing._uuid;
}

/**
 * Deletes the switch with its ports, and the router ports its router-type ports peer with,
 * removing those from their routers in the same transaction.
 */
export async function deleteSwitch(c: NbOvsdb, name: string): Promise<boolean> {
  const existing = findSwitch(c, name);
  if (!existing) return false;
  const lsps = c.replica.table('Logical_Switch_Port');
  const lrps = c.replica.table('Logical_Router_Port');
  const routerPortNames = new Set<string>();
  for (const uuid of existing.ports) {
    const port = lsps.get(uuid);
    const peer = port?.type === 'router' ? port.options['router-port'] : undefined;
    if (peer) routerPortNames.add(peer);
  }
  const routerPorts = lrps.filter((p) => routerPortNames.has(p.name)).map((p) => p._uuid);
  const operations: Operation[] = [ops.delete('Logical_Switch', [['_uuid', '==', existing._uuid]])];
  for (const router of c.replica.table('Logical_Router').rows()) {
    const held = router.ports.filter((uuid) => routerPorts.includes(uuid));
    // Router ports are not root rows: once no router holds them the server deletes them.
    if (held.length > 0) {
      operations.push(
        ops.mutate('Logical_Router', [['_uuid', '==', router._uuid]], [['ports', 'delete', held]]),
      );
    }
  }
  await c.transact(operations);
  return true;
}
