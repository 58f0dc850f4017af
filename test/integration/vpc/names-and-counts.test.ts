// What users read is true: a rule may be named like a built-in ACL (same-group) and the group
// still becomes Ready with both ACLs; `kubectl get` counts a SecurityGroup's rules and a VPC's
// Ready Subnets out of all; an address conflict names the NetworkInterface holding the address,
// not its UID; a route to the VPC router itself says so.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { doc, ref, refusalReason, useVpcOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-names');
const ovn = useVpcOperator(cluster);

/** One row of `kubectl get <resource> <name>`, by column header. */
async function row(resource: string, name: string): Promise<Record<string, string>> {
  const r = await cluster.kubectl(['get', resource, name, '-n', cluster.namespace]);
  const [header = '', line = ''] = r.stdout.trim().split('\n');
  const cells = line.trim().split(/\s+/);
  return Object.fromEntries(
    header
      .trim()
      .split(/\s+/)
      .map((h, i) => [h, cells[i] ?? '']),
  );
}

const sameGroupRule = {
  name: 'same-group',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 22, to: 22 },
  remoteCIDR: '192.168.0.0/16',
};
const http = {
  name: 'http',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 80, to: 80 },
  remoteCIDR: '0.0.0.0/0',
};

describe('names and counts users read', () => {
  it('makes a SecurityGroup with a rule named same-group Ready, with both ACLs', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: [sameGroupRule, http] }),
      ].join('---\n'),
    );
    const sg = await cluster.waitForCondition(ref('SecurityGroup', 'web'), 'Ready');
    const pg = String(sg.status?.portGroupName);
    const acls = await ovn.nb(['acl-list', pg]);
    // The group's own: members reach each other.
    expect(acls).toContain(
      `to-lport  2001 (outport == @${pg} && ip4 && ip4.src == $${pg}_ip4) allow-related`,
    );
    // The user's rule of the same name.
    expect(acls).toContain(
      `to-lport  2200 (outport == @${pg} && ip4 && ip4.src == 192.168.0.0/16 && tcp.dst == 22) allow-related`,
    );
    const ids = (
      await ovn.nb(['--bare', '--columns=external_ids', 'find', 'ACL', 'name=same-group'])
    )
      .trim()
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(ids).toHaveLength(2);
    expect(ids.filter((l) => l.includes('kcloud.io/builtin=same-group'))).toHaveLength(1);
    expect(ids.filter((l) => l.includes('kcloud.io/rule=same-group'))).toHaveLength(1);
  });

  it('counts the rules in the RULES column', async () => {
    const sg = await waitFor(
      async () => {
        const o = await cluster.read(ref('SecurityGroup', 'web'));
        return o.status?.rules === 2 ? o : undefined;
      },
      { what: 'SecurityGroup web to report 2 rules' },
    );
    expect(sg.status?.rules).toBe(2);
    expect((await row('securitygroup', 'web')).RULES).toBe('2');
    await cluster.apply(doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: [] }));
    await waitFor(
      async () => (await cluster.read(ref('SecurityGroup', 'web'))).status?.rules === 0,
      { what: 'SecurityGroup web to report 0 rules' },
    );
    expect((await row('securitygroup', 'web')).RULES).toBe('0');
  });

  it('shows Ready Subnets out of all in the SUBNETS column', async () => {
    await cluster.waitForCondition(ref('Subnet', 's'), 'Ready');
    // Overlaps s: one of the VPC's Subnets, not Ready.
    await cluster.apply(
      doc('Subnet', 'overlap', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/25' }),
    );
    expect(await refusalReason(cluster, 'Subnet', 'overlap')).toBe('CIDROverlap');
    const vpc = await waitFor(
      async () => {
        const o = await cluster.read(ref('VPC', 'v'));
        return o.status?.readySubnets === '1/2' ? o : undefined;
      },
      {
        what: 'VPC v to report 1/2 Subnets Ready',
        describe: async () => JSON.stringify((await cluster.read(ref('VPC', 'v'))).status),
      },
    );
    expect(vpc.status?.subnets).toBe(2);
    expect((await row('vpc', 'v')).SUBNETS).toBe('1/2');
  });

  it('refuses a route to the VPC router itself or a Subnet address no interface can hold', async () => {
    const table = (nextHopIP: string) =>
      doc('RouteTable', 'rt', {
        vpcRef: { name: 'v' },
        subnetRefs: [{ name: 's' }],
        routes: [{ destination: '172.16.0.0/12', nextHopIP }],
      });
    for (const [nextHopIP, what] of [
      ['10.0.1.1', 'the gateway (the VPC router itself)'],
      ['10.0.1.0', 'the network address'],
      ['10.0.1.255', 'the broadcast address'],
    ] as const) {
      await cluster.apply(table(nextHopIP));
      expect(await refusalReason(cluster, 'RouteTable', 'rt')).toBe('NextHopReserved');
      const rt = await cluster.read(ref('RouteTable', 'rt'));
      expect(rt.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
        `next hop ${nextHopIP} of 172.16.0.0/12 is ${what} of Subnet s`,
      );
    }
    await cluster.apply(table('10.0.1.254'));
    await cluster.waitForCondition(ref('RouteTable', 'rt'), 'Ready');
  });

  it('names the NetworkInterface that holds a wanted address', async () => {
    await cluster.apply(
      doc('NetworkInterface', 'first', { subnetRef: { name: 's' }, ipAddress: '10.0.1.50' }),
    );
    const first = await cluster.waitForCondition(ref('NetworkInterface', 'first'), 'Ready');
    await cluster.apply(
      doc('NetworkInterface', 'second', { subnetRef: { name: 's' }, ipAddress: '10.0.1.50' }),
    );
    expect(await refusalReason(cluster, 'NetworkInterface', 'second')).toBe('IPInUse');
    const second = await cluster.read(ref('NetworkInterface', 'second'));
    const message = second.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    expect(message).toBe(
      `10.0.1.50 is already used by NetworkInterface ${cluster.namespace}/first`,
    );
    expect(message).not.toContain(String(first.metadata?.uid));
  });
});
