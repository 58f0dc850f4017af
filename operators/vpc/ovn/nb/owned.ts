import type { nb } from '../../../../controllers/ovsdb/index.ts';
import { ownerKeys } from '../ownership.ts';
import type { NbOvsdb } from './columns.ts';

/** The NB tables whose rows carry external_ids, i.e. the ones kcloud can own rows in. */
export type OwnedTable = {
  [N in keyof nb.Tables]: nb.Tables[N] extends { external_ids: Record<string, string> } ? N : never;
}[keyof nb.Tables];

/** Every table the VPC operator writes rows into, each row naming its owner. */
export const ownedTables: readonly OwnedTable[] = [
  'Logical_Router',
  'Logical_Router_Port',
  'Logical_Switch',
  'Logical_Switch_Port',
  'DHCP_Options',
  'Port_Group',
  'ACL',
  'Logical_Router_Static_Route',
  'Logical_Router_Policy',
  'QoS',
  'NAT',
  'Load_Balancer',
];

export type ExternalIdsPredicate = (externalIds: Record<string, string>) => boolean;

/** The replica's rows of `table` whose external_ids match, e.g. to find orphans. */
export function ownedRows<N extends OwnedTable>(
  c: NbOvsdb,
  table: N,
  predicate: ExternalIdsPredicate,
): nb.Tables[N][] {
  return c.replica
    .table(table)
    .filter((row) => predicate((row as { external_ids: Record<string, string> }).external_ids));
}

/** Rows written for the object with this uid. */
export function ownedBy(uid: string): ExternalIdsPredicate {
  return (ids) => ids[ownerKeys.uid] === uid;
}

/** Rows written for any object of this kind. */
export function ownedByKind(kind: string): ExternalIdsPredicate {
  return (ids) => ids[ownerKeys.kind] === kind;
}

/** Rows written for anything in this VPC. */
export function inVpc(vpcUid: string): ExternalIdsPredicate {
  return (ids) => ids[ownerKeys.vpc] === vpcUid;
}
