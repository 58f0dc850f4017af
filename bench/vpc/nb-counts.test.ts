import { describe, expect, it } from '@jest/globals';
import { countNb, describeCounts, reached, type NbRows } from './nb-counts.ts';

const owned = (kind: string, name: string, namespace = 'ns') => ({
  'kcloud.io/kind': kind,
  'kcloud.io/namespace': namespace,
  'kcloud.io/name': name,
  'kcloud.io/uid': `uid-${name}`,
});

const rows: NbRows = {
  switches: [{ ports: ['p1', 'p2', 'rtr'] }],
  ports: [
    { _uuid: 'p1', external_ids: owned('NetworkInterface', 'nic-00001') },
    { _uuid: 'p2', external_ids: owned('NetworkInterface', 'nic-00002') },
    // Not in any switch yet.
    { _uuid: 'p3', external_ids: owned('NetworkInterface', 'nic-00003') },
    // Another namespace, and a NIC outside the scale phase.
    { _uuid: 'p4', external_ids: owned('NetworkInterface', 'nic-00004', 'other') },
    { _uuid: 'p5', external_ids: owned('NetworkInterface', 'port-000') },
    { _uuid: 'rtr', external_ids: owned('Subnet', 's-000') },
  ],
  groups: [
    // The baseline groups, one per Subnet.
    {
      name: 'kcloud_interfaces_s1',
      ports: ['p1', 'p3', 'p5'],
      acls: ['b1', 'b2'],
      external_ids: { 'kcloud.io/acl': 'baseline' },
    },
    {
      name: 'kcloud_interfaces_s2',
      ports: ['p2'],
      acls: ['b3', 'b4'],
      external_ids: { 'kcloud.io/acl': 'baseline' },
    },
    {
      name: 'kcloud_sg_a',
      ports: ['p1'],
      acls: ['a1', 'a2', 'a3'],
      external_ids: owned('SecurityGroup', 'sg-000'),
    },
    {
      name: 'kcloud_sg_b',
      ports: ['p2', 'p3'],
      acls: ['b'],
      external_ids: owned('SecurityGroup', 'sg-001'),
    },
    {
      name: 'kcloud_sg_c',
      ports: ['p4'],
      acls: ['c'],
      external_ids: owned('SecurityGroup', 'sg-000', 'other'),
    },
  ],
};

describe('countNb', () => {
  const counts = countNb(rows, 'ns', (n) => n.startsWith('nic-'));

  it('counts the scale NICs’ ports in switches, their memberships and the groups’ ACLs', () => {
    expect(counts).toEqual({ nicPorts: 2, baselineMembers: 2, groupMembers: 2, groupAcls: 4 });
  });

  it('is reached only when every count matches', () => {
    const expected = { nicPorts: 2, baselineMembers: 2, groupMembers: 2, groupAcls: 4 };
    expect(reached(counts, expected)).toBe(true);
    expect(reached(counts, { ...expected, groupAcls: 5 })).toBe(false);
    expect(describeCounts(counts, { ...expected, groupAcls: 5 })).toContain('group ACLs 4/5');
  });
});
