import { operationsFor, type nb } from '../../../../controllers/ovsdb/index.ts';
import type { DHCPOptions } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import { ownerKeys } from '../ownership.ts';
import { changedColumns, type NbOvsdb } from './columns.ts';

const ops = operationsFor<nb.Tables>();

export type DesiredDhcpOptions = Desired<DHCPOptions> & { cidr: string };

/** DHCP_Options rows have no name: ours are known by their owner's uid. */
export function findDhcpOptions(c: NbOvsdb, uid: string): DHCPOptions | undefined {
  return c.replica.table('DHCP_Options').find((d) => d.external_ids[ownerKeys.uid] === uid);
}

/** Creates the row or brings cidr, options and external_ids in line; returns its uuid. */
export async function ensureDhcpOptions(c: NbOvsdb, desired: DesiredDhcpOptions): Promise<string> {
  const uid = desired.external_ids[ownerKeys.uid];
  if (!uid) throw new Error(`DHCP options for ${desired.cidr} have no ${ownerKeys.uid}`);
  const existing = findDhcpOptions(c, uid);
  if (!existing) {
    const [, inserted] = await c.transact([
      ops.wait('DHCP_Options', {
        where: [['external_ids', 'includes', { [ownerKeys.uid]: uid }]],
        columns: ['cidr'],
        until: '==',
        rows: [],
        timeout: 0,
      }),
      ops.insert('DHCP_Options', desired),
    ]);
    return inserted.uuid;
  }
  const changed = changedColumns(existing, desired);
  if (changed) {
    await c.transact([ops.update('DHCP_Options', [['_uuid', '==', existing._uuid]], changed)]);
  }
  return existing._uuid;
}

/** Deletes the DHCP options of the owner with this uid; ports that used them lose them. */
export async function deleteDhcpOptions(c: NbOvsdb, uid: string): Promise<boolean> {
  const existing = findDhcpOptions(c, uid);
  if (!existing) return false;
  await c.transact([ops.delete('DHCP_Options', [['_uuid', '==', existing._uuid]])]);
  return true;
}
