// RouteTables on real OVN: routes land on the VPC router in a route table of their own, the
// Subnets bound to the table (or, for the main table, every Subnet bound to no other) name it
// on their router ports, next hops are checked, conflicts are reported and nothing is left
// behind after deletion.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { apiVersion, doc, ref, refusalReason, useVpcOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-rtb');
const ovn = useVpcOperator(cluster);
const nb = (args: string[]) => ovn.nb(args);

const reason = (kind: string, name: string) => refusalReason(cluster, kind, name);

async function uid(kind: string, name: string): Promise<string> {
  return (await cluster.read(ref(kind, name))).metadata?.uid ?? '';
}

/** The Subnet's router port's options:route_table, '' when unset. */
async function boundTable(subnet: string): Promise<string> {
  const port = `kcloud-rtr-${await uid('Subnet', subnet)}`;
  const out = await nb([
    '--bare',
    '--columns=options',
    'find',
    'Logical_Router_Port',
    `name=${port}`,
  ]);
  return /route_table=(\S+)/.exec(out)?.[1] ?? '';
}

/** `table prefix nexthop` of every static route the namespace's objects own, sorted. */
async function routes(): Promise<string[]> {
  const out = await nb([
    '--format=csv',
    '--no-headings',
    '--columns=route_table,ip_prefix,nexthop',
    'find',
    'Logical_Router_Static_Route',
    `external_ids:"kcloud.io/namespace"="${cluster.namespace}"`,
  ]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replaceAll('"', '').split(',').join(' '))
    .sort();
}

const del = (kind: string, name: string) =>
  cluster.objects.delete({ apiVersion, kind, metadata: { name, namespace: cluster.namespace } });

describe('RouteTables on real OVN', () => {
  it('puts routes in a table of their own and binds the named Subnets to it', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'a', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('Subnet', 'b', { vpcRef: { name: 'v' }, cidrBlock: '10.0.2.0/24' }),
        doc('Subnet', 'c', { vpcRef: { name: 'v' }, cidrBlock: '10.0.3.0/24' }),
        doc('NetworkInterface', 'fw', {
          subnetRef: { name: 'b' },
          ipAddress: '10.0.2.5',
          portSecurity: false,
        }),
        doc('RouteTable', 'egress', {
          vpcRef: { name: 'v' },
          subnetRefs: [{ name: 'a' }],
          routes: [
            { destination: '0.0.0.0/0', nextHopInterfaceRef: { name: 'fw' } },
            { destination: '192.168.0.0/16', blackhole: true },
            { destination: '172.16.0.0/12', nextHopIP: '10.0.2.50' },
          ],
        }),
      ].join('---\n'),
    );
    const table = await cluster.waitForCondition(ref('RouteTable', 'egress'), 'Ready');
    const name = `kcloud-rtb-${await uid('RouteTable', 'egress')}`;
    expect(table.status).toMatchObject({ routeTableName: name, subnets: ['a'] });
    expect(await routes()).toEqual([
      `${name} 0.0.0.0/0 10.0.2.5`,
      `${name} 172.16.0.0/12 10.0.2.50`,
      `${name} 192.168.0.0/16 discard`,
    ]);
    await waitFor(async () => (await boundTable('a')) === name, {
      timeoutMs: 30_000,
      what: 'Subnet a bound to the table',
    });
    expect(await boundTable('b')).toBe('');
    expect(await boundTable('c')).toBe('');
  });

  it('applies a main table to every Subnet bound to no other, and only one main', async () => {
    await cluster.apply(
      doc('RouteTable', 'main', {
        vpcRef: { name: 'v' },
        routes: [{ destination: '10.8.0.0/16', blackhole: true }],
      }),
    );
    const main = await cluster.waitForCondition(ref('RouteTable', 'main'), 'Ready');
    const name = `kcloud-rtb-${await uid('RouteTable', 'main')}`;
    expect(main.status).toMatchObject({ routeTableName: name, subnets: ['b', 'c'] });
    await waitFor(
      async () => (await boundTable('b')) === name && (await boundTable('c')) === name,
      { timeoutMs: 30_000, what: 'Subnets b and c on the main table' },
    );
    expect(await boundTable('a')).not.toBe(name);

    await cluster.apply(doc('RouteTable', 'main-2', { vpcRef: { name: 'v' }, routes: [] }));
    expect(await reason('RouteTable', 'main-2')).toBe('MainRouteTableExists');
    await del('RouteTable', 'main-2');
  });

  it('reports bad bindings and next hops and writes nothing for them', async () => {
    const before = await routes();
    await cluster.apply(
      [
        doc('VPC', 'w', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'x', { vpcRef: { name: 'w' }, cidrBlock: '10.0.1.0/24' }),
      ].join('---\n'),
    );
    const blackholed = [{ destination: '10.9.0.0/16', blackhole: true }];
    const bad = [
      ['taken', { subnetRefs: [{ name: 'a' }], routes: blackholed }, 'SubnetInOtherRouteTable'],
      ['other-vpc', { subnetRefs: [{ name: 'x' }], routes: blackholed }, 'SubnetNotInVPC'],
      ['no-subnet', { subnetRefs: [{ name: 'missing' }], routes: blackholed }, 'SubnetNotFound'],
    ] as const;
    for (const [name, spec, want] of bad) {
      await cluster.apply(doc('RouteTable', name, { vpcRef: { name: 'v' }, ...spec }));
      expect([name, await reason('RouteTable', name)]).toEqual([name, want]);
      await del('RouteTable', name);
      await cluster.waitForGone(ref('RouteTable', name));
    }
    // Next hops are checked against a table that may hold the Subnet.
    await cluster.apply(
      doc('RouteTable', 'egress', {
        vpcRef: { name: 'v' },
        subnetRefs: [{ name: 'a' }],
        routes: [{ destination: '0.0.0.0/0', nextHopIP: '10.1.0.1' }],
      }),
    );
    expect(await reason('RouteTable', 'egress')).toBe('NextHopNotInVPC');
    await cluster.apply(
      doc('RouteTable', 'egress', {
        vpcRef: { name: 'v' },
        subnetRefs: [{ name: 'a' }],
        routes: [{ destination: '0.0.0.0/0', nextHopInterfaceRef: { name: 'ghost' } }],
      }),
    );
    expect(await reason('RouteTable', 'egress')).toBe('InterfaceNotFound');
    expect(await routes()).toEqual(before);

    // Fixed, the table's routes follow the spec.
    await cluster.apply(
      doc('RouteTable', 'egress', {
        vpcRef: { name: 'v' },
        subnetRefs: [{ name: 'a' }],
        routes: [{ destination: '0.0.0.0/0', nextHopInterfaceRef: { name: 'fw' } }],
      }),
    );
    await waitFor(async () => (await routes()).length === 2, {
      timeoutMs: 30_000,
      what: 'the egress table down to one route',
      describe: async () => (await routes()).join('\n'),
    });
  });

  it('removes routes and bindings with the tables', async () => {
    const mainName = `kcloud-rtb-${await uid('RouteTable', 'main')}`;
    await del('RouteTable', 'egress');
    await cluster.waitForGone(ref('RouteTable', 'egress'));
    // Unbound from its own table, Subnet a falls back to the main one.
    await waitFor(async () => (await boundTable('a')) === mainName, {
      timeoutMs: 30_000,
      what: 'Subnet a on the main table',
    });
    await del('RouteTable', 'main');
    await cluster.waitForGone(ref('RouteTable', 'main'));
    await del('Subnet', 'x');
    await del('VPC', 'w');
    await waitFor(
      async () =>
        (await routes()).length === 0 &&
        (await boundTable('a')) === '' &&
        (await boundTable('b')) === '' &&
        (await boundTable('c')) === '',
      { timeoutMs: 30_000, what: 'no route and no binding left' },
    );
  });
});
