// The baseline port groups the baseline-groups benchmark writes: how interfaces are cut into
// groups, and the NB operations that make them and add one port.
import { operationsFor, type nb, type Operation } from '../../controllers/ovsdb/index.ts';

const ops = operationsFor<nb.Tables>();

/** How the interfaces are cut into baseline groups: switch `s` goes to group `groupOf(s)`. */
export interface Cut {
  name: string;
  groups: number;
  groupOf: (subnet: number) => number;
}

export function cuts(subnets: number, vpcs: number): Cut[] {
  return [
    { name: 'one group for every interface', groups: 1, groupOf: () => 0 },
    { name: `one group per VPC (${vpcs} VPCs)`, groups: vpcs, groupOf: (s) => s % vpcs },
    { name: 'one group per Subnet', groups: subnets, groupOf: (s) => s },
  ];
}

export const pgName = (g: number) => `bench_baseline_${String(g)}`;
export const swName = (s: number) => `bench-sw-${String(s)}`;

/** A port's name and its `addresses` entry: the address set of its group holds the IP. */
export function port(subnet: number, i: number): { name: string; addresses: string[] } {
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    name: `bench-sw-${String(subnet)}-p${String(i)}`,
    addresses: [
      `0a:00:${hex(subnet >> 8)}:${hex(subnet & 255)}:${hex(i >> 8)}:${hex(i & 255)} 10.${String(subnet >> 4)}.${String(((subnet & 15) << 4) + (i >> 8))}.${String(i & 255)}`,
    ],
  };
}

/** Every switch with its ports, every group with its members and its two baseline ACLs. */
export function populate(cut: Cut, subnets: number, perSubnet: number): Operation[] {
  const out: Operation[] = [];
  const members: string[][] = Array.from({ length: cut.groups }, () => []);
  for (let s = 0; s < subnets; s++) {
    const refs: string[] = [];
    for (let i = 0; i < perSubnet; i++) {
      const ref = `p${String(s)}_${String(i)}`;
      out.push(ops.insert('Logical_Switch_Port', port(s, i), ref));
      refs.push(ref);
      members[cut.groupOf(s)]?.push(ref);
    }
    out.push(ops.insert('Logical_Switch', { name: swName(s), ports: refs }));
  }
  for (let g = 0; g < cut.groups; g++) {
    const egress = `egress${String(g)}`;
    const ingress = `ingress${String(g)}`;
    out.push(
      ops.insert(
        'ACL',
        {
          priority: 1000,
          direction: 'from-lport',
          match: `inport == @${pgName(g)} && ip`,
          action: 'allow-related',
        },
        egress,
      ),
      ops.insert(
        'ACL',
        {
          priority: 1000,
          direction: 'to-lport',
          match: `outport == @${pgName(g)} && ip`,
          action: 'drop',
        },
        ingress,
      ),
      ops.insert('Port_Group', {
        name: pgName(g),
        ports: members[g] ?? [],
        acls: [egress, ingress],
      }),
    );
  }
  return out;
}

/** One more port in switch `s`: alone, or joined to its baseline group in the same transaction. */
export function add(cut: Cut, s: number, i: number, join: boolean): Operation[] {
  const ref = 'added';
  return [
    ops.insert('Logical_Switch_Port', port(s, i), ref),
    ops.mutate('Logical_Switch', [['name', '==', swName(s)]], [['ports', 'insert', [ref]]]),
    ...(join
      ? [
          ops.mutate(
            'Port_Group',
            [['name', '==', pgName(cut.groupOf(s))]],
            [['ports', 'insert', [ref]]],
          ),
        ]
      : []),
  ];
}
