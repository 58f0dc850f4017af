import { describe, expect, it } from '@jest/globals';
import { add, cuts, populate, port } from './baseline-cuts.ts';

describe('the baseline-group cuts', () => {
  it('put every Subnet in one group, its VPC’s, or its own', () => {
    const [one, perVpc, perSubnet] = cuts(50, 10);
    expect([one?.groups, perVpc?.groups, perSubnet?.groups]).toEqual([1, 10, 50]);
    expect(
      [0, 13, 49].map((s) => [one?.groupOf(s), perVpc?.groupOf(s), perSubnet?.groupOf(s)]),
    ).toEqual([
      [0, 0, 0],
      [0, 3, 13],
      [0, 9, 49],
    ]);
  });

  it('gives every port its own MAC and IPv4 address', () => {
    const all = Array.from({ length: 50 }, (_, s) =>
      Array.from({ length: 140 }, (_, i) => port(s, i)),
    )
      .flat()
      .map((p) => p.addresses[0] ?? '');
    expect(new Set(all.map((a) => a.split(' ')[0])).size).toBe(all.length);
    expect(new Set(all.map((a) => a.split(' ')[1])).size).toBe(all.length);
    expect(port(17, 300).addresses).toEqual(['0a:00:00:11:01:2c 10.1.17.44']);
  });

  it('writes each group with its members and two ACLs, and joins an added port to its group', () => {
    const [, perVpc] = cuts(4, 2);
    if (!perVpc) throw new Error('no per-VPC cut');
    const ops = populate(perVpc, 4, 3);
    const groups = ops.filter((o) => o.op === 'insert' && o.table === 'Port_Group');
    expect(groups.map((g) => (g as { row: { ports: string[] } }).row.ports)).toEqual([
      ['p0_0', 'p0_1', 'p0_2', 'p2_0', 'p2_1', 'p2_2'],
      ['p1_0', 'p1_1', 'p1_2', 'p3_0', 'p3_1', 'p3_2'],
    ]);
    expect(ops.filter((o) => o.op === 'insert' && o.table === 'ACL')).toHaveLength(4);
    expect(add(perVpc, 3, 9, true).map((o) => `${o.op} ${(o as { table: string }).table}`)).toEqual(
      ['insert Logical_Switch_Port', 'mutate Logical_Switch', 'mutate Port_Group'],
    );
    expect(add(perVpc, 3, 9, false)).toHaveLength(2);
  });
});
