import { operationsFor, type nb } from '../../../../controllers/ovsdb/index.ts';
import type { LogicalRouter } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';

const ops = operationsFor<nb.Tables>();

export function findRouter(c: NbOvsdb, name: string): LogicalRouter | undefined {
  return c.replica.table('Logical_Router').findByName(name);
}

/** Creates the router or brings its managed columns in line; returns its uuid. */
export async function ensureRouter(
  c: NbOvsdb,
  desired: Desired<LogicalRouter> & { name: string },
): Promise<string> {
  const existing = findRouter(c, desired.name);
  if (!existing) {
    // Names are not unique in the schema: the wait keeps a concurrent writer from doubling it.
    const [, inserted] = await c.transact([
      ops.wait('Logical_Router', {
        where: [['name', '==', desired.name]],
        columns: ['name'],
        until: '==',
        rows: [],
        timeout: 0,
      }),
      ops.insert('Logical_Router', desired),
    ]);
    return inserted.uuid;
  }
  const changed = changedColumns(existing, desired);
  if (changed) {
    await c.transact([ops.update('Logical_Router', [['_uuid', '==', existing._uuid]], changed)]);
  }
  return existing._uuid;
}

/** Deletes the router; its ports go with it, as nothing else may refer to them. */
export async function deleteRouter(c: NbOvsdb, name: string): Promise<boolean> {
  const existing = findRouter(c, name);
  if (!existing) return false;
  await c.transact([ops.delete('Logical_Router', [['_uuid', '==', existing._uuid]])]);
  return true;
}
