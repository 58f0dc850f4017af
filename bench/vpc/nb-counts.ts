// How far the northbound database is from holding the scale phase's objects, counted from rows.
import { baselineIds, ownerKeys } from '../../operators/vpc/ovn/index.ts';
import type { ExpectedNb } from './topology.ts';

type Ids = Record<string, string>;

export interface NbRows {
  switches: readonly { ports: readonly string[] }[];
  ports: readonly { _uuid: string; external_ids: Ids }[];
  groups: readonly {
    name: string;
    ports: readonly string[];
    acls: readonly string[];
    external_ids: Ids;
  }[];
}

export type NbCounts = ExpectedNb;

/**
 * Counts what the scale phase's objects have in NB: ports of its NICs (`isScaleNic` on the
 * owner's name) that sit in a switch, their memberships in the baseline group and in the
 * SecurityGroups' port groups, and the ACLs of those port groups. Only rows owned by objects
 * of `namespace` count.
 */
export function countNb(
  rows: NbRows,
  namespace: string,
  isScaleNic: (name: string) => boolean,
): NbCounts {
  const ownedBy = (ids: Ids, kind: string) =>
    ids[ownerKeys.kind] === kind && ids[ownerKeys.namespace] === namespace;
  const inSwitch = new Set<string>();
  for (const sw of rows.switches) for (const p of sw.ports) inSwitch.add(p);
  const nicPorts = new Set<string>();
  for (const port of rows.ports) {
    const ids = port.external_ids;
    if (ownedBy(ids, 'NetworkInterface') && isScaleNic(ids[ownerKeys.name] ?? '')) {
      if (inSwitch.has(port._uuid)) nicPorts.add(port._uuid);
    }
  }
  const members = (ports: readonly string[]) => ports.filter((p) => nicPorts.has(p)).length;
  let baselineMembers = 0;
  let groupMembers = 0;
  let groupAcls = 0;
  for (const group of rows.groups) {
    // The baseline groups, one per Subnet.
    if (group.external_ids['kcloud.io/acl'] === baselineIds['kcloud.io/acl']) {
      baselineMembers += members(group.ports);
    } else if (ownedBy(group.external_ids, 'SecurityGroup')) {
      groupMembers += members(group.ports);
      groupAcls += group.acls.length;
    }
  }
  return { nicPorts: nicPorts.size, baselineMembers, groupMembers, groupAcls };
}

export function reached(counts: NbCounts, expected: ExpectedNb): boolean {
  return (
    counts.nicPorts === expected.nicPorts &&
    counts.baselineMembers === expected.baselineMembers &&
    counts.groupMembers === expected.groupMembers &&
    counts.groupAcls === expected.groupAcls
  );
}

export function describeCounts(counts: NbCounts, expected: ExpectedNb): string {
  return (
    `NIC ports ${counts.nicPorts}/${expected.nicPorts}, ` +
    `baseline members ${counts.baselineMembers}/${expected.baselineMembers}, ` +
    `group members ${counts.groupMembers}/${expected.groupMembers}, ` +
    `group ACLs ${counts.groupAcls}/${expected.groupAcls}`
  );
}
