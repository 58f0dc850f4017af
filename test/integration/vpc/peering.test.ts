// VPCPeerings on real OVN: the two VPC routers joined by a pair of peer ports, a route per
// range of the other VPC on each, exactly these rows and nothing after deletion; overlapping
// ranges, a VPC peered with itself, missing VPCs and a second peering of one pair are refused
// with a reason and nothing written; rows changed behind the operator's back are put back.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { apiVersion, doc, ref, refusalReason, useVpcOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-pcx');
const ovn = useVpcOperator(cluster);
const nb = (args: string[]) => ovn.nb(args);

async function uid(kind: string, name: string): Promise<string> {
  return (await cluster.read(ref(kind, name))).metadata?.uid ?? '';
}

/** CSV rows of `table` owned by VPCPeerings, with the columns asked for, sorted. */
async function peeringRows(table: string, columns: string): Promise<string[]> {
  const out = await nb([
    '--format=csv',
    '--no-headings',
    '--data=bare',
    `--columns=${columns}`,
    'find',
    table,
    'external_ids:"kcloud.io/kind"=VPCPeering',
  ]);
  return out.split('\n').filter(Boolean).sort();
}

const ports = () => peeringRows('Logical_Router_Port', 'name,networks,peer');
const routes = () => peeringRows('Logical_Router_Static_Route', 'ip_prefix,nexthop,output_port');

/** The router's port names, sorted. */
async function portsOf(router: string): Promise<string[]> {
  const out = await nb(['--bare', '--columns=ports', 'find', 'Logical_Router', `name=${router}`]);
  const uuids = out.split(/\s+/).filter(Boolean);
  const names = await Promise.all(
    uuids.map(async (u) => (await nb(['get', 'Logical_Router_Port', u, 'name'])).trim()),
  );
  return names.sort();
}

const del = (kind: string, name: string) =>
  cluster.objects.delete({ apiVersion, kind, metadata: { name, namespace: cluster.namespace } });

const reason = (name: string) => refusalReason(cluster, 'VPCPeering', name);

describe('VPCPeerings on real OVN', () => {
  it('joins the two routers and routes each to the ranges of the other', async () => {
    await cluster.apply(
      [
        doc('VPC', 'a', { cidrBlocks: ['10.1.0.0/16'] }),
        doc('VPC', 'b', { cidrBlocks: ['10.2.0.0/16', '10.3.0.0/16'] }),
        doc('Subnet', 'a-1', { vpcRef: { name: 'a' }, cidrBlock: '10.1.1.0/24' }),
        doc('VPCPeering', 'a-b', { vpcRef: { name: 'a' }, peerVPC: { name: 'b' } }),
      ].join('---\n'),
    );
    const peering = await cluster.waitForCondition(ref('VPCPeering', 'a-b'), 'Ready');
    const id = await uid('VPCPeering', 'a-b');
    const [ra, rb] = [`kcloud-vpc-${await uid('VPC', 'a')}`, `kcloud-vpc-${await uid('VPC', 'b')}`];
    const ns = cluster.namespace;
    expect(peering.status).toMatchObject({
      phase: 'Active',
      linkCIDR: '169.254.0.0/30',
      routes: [
        { vpc: `${ns}/a`, destination: '10.2.0.0/16', nextHop: '169.254.0.2' },
        { vpc: `${ns}/a`, destination: '10.3.0.0/16', nextHop: '169.254.0.2' },
        { vpc: `${ns}/b`, destination: '10.1.0.0/16', nextHop: '169.254.0.1' },
      ],
    });
    const [pa, pb] = [`kcloud-pcx-${id}-a`, `kcloud-pcx-${id}-b`];
    expect(await ports()).toEqual([`${pa},169.254.0.1/30,${pb}`, `${pb},169.254.0.2/30,${pa}`]);
    expect(await portsOf(ra)).toContain(pa);
    expect(await portsOf(rb)).toEqual([pb]);
    expect(await routes()).toEqual([
      `10.1.0.0/16,169.254.0.1,${pb}`,
      `10.2.0.0/16,169.254.0.2,${pa}`,
      `10.3.0.0/16,169.254.0.2,${pa}`,
    ]);
    // Each route on the router of the VPC it leaves from, in no route table.
    const onA = await nb(['lr-route-list', ra]);
    expect(onA).toMatch(/10\.2\.0\.0\/16\s+169\.254\.0\.2 dst-ip/);
    expect(onA).toContain('Route Table <main>:');
    expect(onA.match(/Route Table/g)).toHaveLength(1);
  });

  it('takes a VPCPeering naming it back as the same peering, written once', async () => {
    await cluster.apply(
      doc('VPCPeering', 'b-a', { vpcRef: { name: 'b' }, peerVPC: { name: 'a' } }),
    );
    const back = await cluster.waitForCondition(ref('VPCPeering', 'b-a'), 'Ready');
    expect(back.status).toMatchObject({
      acceptedBy: `${cluster.namespace}/a-b`,
      linkCIDR: '169.254.0.0/30',
    });
    expect(await ports()).toHaveLength(2);
    expect(await routes()).toHaveLength(3);
  });

  it('refuses what cannot be peered, writing nothing', async () => {
    const [portsBefore, routesBefore] = [await ports(), await routes()];
    await cluster.apply(
      [
        doc('VPC', 'c', { cidrBlocks: ['10.1.128.0/17'] }),
        doc('VPC', 'd', { cidrBlocks: ['10.2.5.0/24'] }),
        doc('VPCPeering', 'a-c', { vpcRef: { name: 'a' }, peerVPC: { name: 'c' } }),
        doc('VPCPeering', 'a-d', { vpcRef: { name: 'a' }, peerVPC: { name: 'd' } }),
        doc('VPCPeering', 'a-a', {
          vpcRef: { name: 'a' },
          peerVPC: { name: 'a', namespace: cluster.namespace },
        }),
        doc('VPCPeering', 'a-b-again', { vpcRef: { name: 'a' }, peerVPC: { name: 'b' } }),
        doc('VPCPeering', 'a-ghost', { vpcRef: { name: 'a' }, peerVPC: { name: 'ghost' } }),
        doc('VPCPeering', 'ghost-a', { vpcRef: { name: 'ghost' }, peerVPC: { name: 'a' } }),
      ].join('---\n'),
    );
    expect(await reason('a-c')).toBe('OverlappingCIDRs');
    const overlap = await cluster.read(ref('VPCPeering', 'a-c'));
    const message = overlap.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    expect(message).toContain('10.1.0.0/16');
    expect(message).toContain('10.1.128.0/17');
    // Apart from a, but inside b's range, which a already reaches.
    expect(await reason('a-d')).toBe('OverlappingCIDRs');
    expect(await reason('a-a')).toBe('SameVPC');
    expect(await reason('a-b-again')).toBe('AlreadyPeered');
    for (const [name, want] of [
      ['a-ghost', 'PeerVPCNotFound'],
      ['ghost-a', 'VPCNotFound'],
    ] as const) {
      const o = await waitFor(
        async () => {
          const got = await cluster.read(ref('VPCPeering', name));
          const ready = got.status?.conditions?.find((c) => c.type === 'Ready');
          return ready?.reason === want ? got : undefined;
        },
        { what: `VPCPeering ${name} to report ${want}` },
      );
      expect(o.status?.phase).toBe('Pending');
    }
    expect(await ports()).toEqual(portsBefore);
    expect(await routes()).toEqual(routesBefore);
    for (const name of ['a-c', 'a-d', 'a-a', 'a-b-again', 'a-ghost', 'ghost-a']) {
      await del('VPCPeering', name);
    }
  });

  it('puts back rows changed behind its back', async () => {
    const [portsBefore, routesBefore] = [await ports(), await routes()];
    const id = await uid('VPCPeering', 'a-b');
    const rb = `kcloud-vpc-${await uid('VPC', 'b')}`;
    await nb(['lr-route-del', rb, '10.1.0.0/16']);
    await nb(['set', 'Logical_Router_Port', `kcloud-pcx-${id}-a`, 'networks=169.254.9.1/30']);
    // The next reconcile (the resync, or any change of the object) repairs them.
    const touched = await cluster.kubectl([
      'annotate',
      'vpcpeering',
      'a-b',
      'example.com/touched=1',
      '-n',
      cluster.namespace,
    ]);
    expect(touched.code).toBe(0);
    await waitFor(
      async () =>
        JSON.stringify([await ports(), await routes()]) ===
        JSON.stringify([portsBefore, routesBefore]),
      {
        what: 'the peering rows back as they were',
        describe: async () => JSON.stringify([await ports(), await routes()]),
      },
    );
  });

  it('takes its rows away while the ranges overlap, and puts them back after', async () => {
    const [portsBefore, routesBefore] = [await ports(), await routes()];
    const b = (cidrBlocks: string[]) => doc('VPC', 'b', { cidrBlocks });
    // A range b takes later that a already has.
    await cluster.apply(b(['10.2.0.0/16', '10.3.0.0/16', '10.1.128.0/17']));
    expect(await reason('a-b')).toBe('OverlappingCIDRs');
    await waitFor(async () => (await ports()).length + (await routes()).length === 0, {
      what: 'no peering row while the ranges overlap',
    });
    await cluster.apply(b(['10.2.0.0/16', '10.3.0.0/16']));
    await waitFor(
      async () =>
        JSON.stringify([await ports(), await routes()]) ===
        JSON.stringify([portsBefore, routesBefore]),
      {
        what: 'the peering rows back',
        describe: async () => JSON.stringify([await ports(), await routes()]),
      },
    );
  });

  it('leaves nothing in OVN once the peering is deleted', async () => {
    await del('VPCPeering', 'a-b');
    await cluster.waitForGone(ref('VPCPeering', 'a-b'));
    // Alone in one namespace, the VPCPeering naming back is a whole peering: it takes over.
    const back = await waitFor(
      async () => {
        const o = await cluster.read(ref('VPCPeering', 'b-a'));
        const routeCount = (o.status?.routes as unknown[] | undefined)?.length;
        return o.status?.acceptedBy === undefined && routeCount === 3 ? o : undefined;
      },
      { what: 'VPCPeering b-a to write the peering itself' },
    );
    expect(back.status?.phase).toBe('Active');
    const id = await uid('VPCPeering', 'b-a');
    await waitFor(async () => (await ports()).every((p) => p.includes(id)), {
      what: 'the ports of b-a only',
    });
    await del('VPCPeering', 'b-a');
    await cluster.waitForGone(ref('VPCPeering', 'b-a'));
    expect(await ports()).toEqual([]);
    expect(await routes()).toEqual([]);

    // A VPC that goes takes the peering with it, on the other router too.
    await cluster.apply(
      doc('VPCPeering', 'a-b', { vpcRef: { name: 'a' }, peerVPC: { name: 'b' } }),
    );
    await cluster.waitForCondition(ref('VPCPeering', 'a-b'), 'Ready');
    expect(await routes()).toHaveLength(3);
    await del('VPC', 'b');
    await cluster.waitForGone(ref('VPC', 'b'));
    // While b was being deleted the peering said PeerVPCNotReady; b gone, it says so next.
    let last: string | undefined;
    await waitFor(async () => (last = await reason('a-b')) === 'PeerVPCNotFound', {
      what: 'VPCPeering a-b to report PeerVPCNotFound',
      describe: () => `its reason: ${String(last)}`,
    });
    await waitFor(async () => (await ports()).length + (await routes()).length === 0, {
      what: 'no peering row left on the router of VPC a',
      describe: async () => JSON.stringify([await ports(), await routes()]),
    });
    await del('VPCPeering', 'a-b');
    await cluster.waitForGone(ref('VPCPeering', 'a-b'));
    expect(await ports()).toEqual([]);
    expect(await routes()).toEqual([]);
    // Whatever owner they name: no peer port is left on any router.
    expect(await nb(['--bare', '--columns=name', 'list', 'Logical_Router_Port'])).not.toContain(
      'kcloud-pcx-',
    );
  });
});
