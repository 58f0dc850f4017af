// Reachability on real OVN, asked of ovn-trace: VPC objects applied to the API server become
// logical flows (operator → northbound → ovn-northd → southbound), and one traced packet at a
// time says whether an interface's port receives what another sends. Every "dropped" has a
// "delivered" beside it in the same state, so a trace that never delivers cannot pass.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { doc, ref, useVpcOperator } from './operator-fixture.ts';
import {
  deliveryTo,
  endpoint,
  traceBetween,
  type Endpoint,
  type TraceOptions,
  type Traffic,
  type Verdict,
} from './trace-helpers.ts';

const cluster = useTestCluster('vpc-trace');
const ovn = useVpcOperator(cluster);

const icmp: Traffic = { protocol: 'icmp' };
const tcp = (dst: number, src?: number): Traffic => ({ protocol: 'tcp', dst, src });

const anywhere = '0.0.0.0/0';
const pingFromSubnet1 = {
  name: 'ping',
  direction: 'Ingress',
  protocol: 'ICMP',
  remoteCIDR: '10.0.1.0/24',
};
const http = {
  name: 'http',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 80, to: 80 },
  remoteCIDR: anywhere,
};
const pingFromAnywhere = { ...pingFromSubnet1, remoteCIDR: anywhere };
const postgres = {
  name: 'postgres',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 5432, to: 5432 },
  remoteCIDR: anywhere,
};
const postgresFromSubnet1 = (action: 'Allow' | 'Deny') => ({
  name: 'postgres-subnet-1',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 5432, to: 5432 },
  remoteCIDR: '10.0.1.0/24',
  action,
  priority: 200,
});

interface Spec {
  kind: string;
  name: string;
  spec: object;
  /** An interface's SecurityGroups. */
  groups?: string[];
}

const nic = (name: string, subnet: string, groups: string[] = [], ipAddress?: string): Spec => ({
  kind: 'NetworkInterface',
  name,
  spec: {
    subnetRef: { name: subnet },
    securityGroupRefs: groups.map((g) => ({ name: g })),
    ...(ipAddress ? { ipAddress } : {}),
  },
  groups,
});
const group = (name: string, rules: object[], vpc = 'blue'): Spec => ({
  kind: 'SecurityGroup',
  name,
  spec: { vpcRef: { name: vpc }, rules },
});

/** Two VPCs with the same ranges and Subnets, and in each an interface at 10.0.1.10. */
const topology: Spec[] = [
  ...['blue', 'green'].flatMap((vpc) => [
    { kind: 'VPC', name: vpc, spec: { cidrBlocks: ['10.0.0.0/16'] } },
    { kind: 'Subnet', name: `${vpc}-1`, spec: { vpcRef: { name: vpc }, cidrBlock: '10.0.1.0/24' } },
    { kind: 'Subnet', name: `${vpc}-2`, spec: { vpcRef: { name: vpc }, cidrBlock: '10.0.2.0/24' } },
  ]),
  group('app', []),
  group('web', [pingFromSubnet1, http]),
  group('db', [pingFromAnywhere]),
  group(
    'open',
    [{ name: 'all', direction: 'Ingress', protocol: 'All', remoteCIDR: anywhere }],
    'green',
  ),
  group('no-tcp-out', [
    { name: 'tcp', direction: 'Egress', protocol: 'TCP', remoteCIDR: anywhere, action: 'Deny' },
  ]),
  nic('app-1', 'blue-1', ['app'], '10.0.1.10'),
  nic('app-2', 'blue-2', ['app']),
  nic('app-3', 'blue-1', ['app']),
  nic('web-1', 'blue-2', ['web']),
  nic('db-1', 'blue-2', ['db']),
  nic('plain-1', 'blue-1'),
  nic('plain-2', 'blue-2'),
  nic('locked-1', 'blue-1', ['no-tcp-out']),
  nic('green-1', 'green-1', ['open'], '10.0.1.10'),
  nic('green-2', 'green-2', ['open'], '10.0.2.50'),
  nic('green-3', 'green-2'),
];

const members = (sg: string) => topology.filter((o) => o.groups?.includes(sg)).length;

/** Waits until the object is Ready for its current generation. */
async function readyNow(kind: string, name: string, memberCount?: number): Promise<void> {
  await waitFor(
    async () => {
      const o = await cluster.read(ref(kind, name));
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return (
        ready?.status === 'True' &&
        o.status?.observedGeneration === o.metadata?.generation &&
        (memberCount === undefined || o.status?.members === memberCount)
      );
    },
    {
      what: `${kind} ${name} Ready at its generation${memberCount === undefined ? '' : ` with ${String(memberCount)} members`}`,
      describe: async () => JSON.stringify((await cluster.read(ref(kind, name))).status),
    },
  );
}

/**
 * Everything reconciled and ovn-northd's southbound flows caught up with the northbound
 * database, so a trace shows the final state: a "dropped" is not merely "not programmed yet".
 */
async function settled(): Promise<void> {
  for (const o of topology) {
    await readyNow(o.kind, o.name, o.kind === 'SecurityGroup' ? members(o.name) : undefined);
  }
  await ovn.nb(['--wait=sb', 'sync']);
}

const endpoints = new Map<string, Endpoint>();
async function at(name: string): Promise<Endpoint> {
  const known = endpoints.get(name);
  if (known) return known;
  const e = await endpoint(cluster, ovn, name);
  endpoints.set(name, e);
  return e;
}

const describeTraffic = (t: Traffic) =>
  t.protocol === 'icmp' ? 'icmp echo' : `${t.protocol}/${String(t.dst)}`;

/** Traces one packet and checks the verdict; on a mismatch the error carries the trace. */
async function expectTrace(
  from: string,
  to: string,
  traffic: Traffic,
  want: 'delivered' | 'dropped',
  opts: TraceOptions = {},
): Promise<Verdict> {
  const v = await traceBetween(ovn.layout(), await at(from), await at(to), traffic, opts);
  const what = `${from} → ${to} ${describeTraffic(traffic)} (${opts.ct ?? 'new'}${opts.ethDst ? ` to ${opts.ethDst}` : ''})`;
  if (v.delivered !== (want === 'delivered')) {
    throw new Error(`${what}: expected ${want}, ovn-trace --summary says:\n${v.summary}`);
  }
  expect(`${what}: ${v.delivered ? 'delivered' : 'dropped'}`).toBe(`${what}: ${want}`);
  return v;
}

async function eventuallyDelivered(from: string, to: string, traffic: Traffic): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const v = await traceBetween(ovn.layout(), await at(from), await at(to), traffic);
      last = v.summary;
      return v.delivered;
    },
    {
      what: `${from} → ${to} ${describeTraffic(traffic)} to be delivered`,
      describe: () => last,
    },
  );
}

describe('reachability on real OVN (ovn-trace)', () => {
  it('programs two VPCs with the same ranges', async () => {
    await cluster.apply(topology.map((o) => doc(o.kind, o.name, o.spec)).join('---\n'));
    await settled();
    expect((await at('app-1')).ipAddress).toBe((await at('green-1')).ipAddress);
  });

  it('lets members of one SecurityGroup reach each other across Subnets, and no one else', async () => {
    for (const t of [icmp, tcp(5432)]) {
      await expectTrace('app-1', 'app-2', t, 'delivered');
      await expectTrace('plain-1', 'app-2', t, 'dropped');
    }
    // On one Subnet the packet goes straight to the peer's MAC rather than through the router.
    await expectTrace('app-3', 'app-1', tcp(5432), 'delivered');
    await expectTrace('plain-1', 'app-1', tcp(5432), 'dropped');
  });

  it("lets a SecurityGroup's rules open ICMP and a TCP port from another Subnet", async () => {
    await expectTrace('app-1', 'web-1', icmp, 'delivered');
    await expectTrace('app-1', 'web-1', tcp(80), 'delivered');
    await expectTrace('app-1', 'web-1', tcp(22), 'dropped');
    // ping is allowed from 10.0.1.0/24 only.
    await expectTrace('plain-2', 'web-1', tcp(80), 'delivered');
    await expectTrace('plain-2', 'web-1', icmp, 'dropped');
  });

  it('has no path between VPCs, even with the same ranges and addresses', async () => {
    // Inside green the same packet shape arrives: green-2 accepts anything.
    await expectTrace('green-1', 'green-2', tcp(80), 'delivered');
    await expectTrace('green-1', 'green-2', icmp, 'delivered');
    // From blue, with the very same source address, it does not.
    expect((await at('app-1')).ipAddress).toBe((await at('green-1')).ipAddress);
    for (const t of [icmp, tcp(80)]) {
      const v = await expectTrace('app-1', 'green-2', t, 'dropped');
      expect(v.reachedPort).toBe(false);
      // blue's router looks for 10.0.2.50 on blue's own 10.0.2.0/24 and floods an ARP request
      // there: it reaches app-2's port, but that is not the packet.
      const app2 = await at('app-2');
      expect(v.summary).toContain(`/* output to "${app2.portName}", type "" */;`);
      expect(deliveryTo(v.summary, await at('app-1'), app2)).toEqual({
        delivered: false,
        reachedPort: false,
      });
    }
    // From blue's 10.0.2.0/24 straight to green-2's MAC, as if on green-2's segment: blue's
    // switch has no such port. On green-2's own switch the same frame arrives.
    const green2 = await at('green-2');
    const straight = await expectTrace('plain-2', 'green-2', tcp(80), 'dropped', {
      ethDst: green2.macAddress,
    });
    expect(straight.reachedPort).toBe(false);
    await expectTrace('green-3', 'green-2', tcp(80), 'delivered');
    // Back towards blue: green-1 even holds app-1's address, which app-2's group admits, yet
    // only app-1 gets through.
    await expectTrace('green-1', 'app-2', tcp(5432), 'dropped');
    await expectTrace('app-1', 'app-2', tcp(5432), 'delivered');
  });

  it('drops a port a SecurityGroup does not open or denies, and delivers once a rule allows it', async () => {
    // No rule for 5432: ping arrives, postgres does not.
    await expectTrace('plain-1', 'db-1', icmp, 'delivered');
    await expectTrace('plain-1', 'db-1', tcp(5432), 'dropped');

    // Allowed from anywhere but denied from 10.0.1.0/24 at a higher priority.
    await cluster.apply(
      doc('SecurityGroup', 'db', {
        vpcRef: { name: 'blue' },
        rules: [pingFromAnywhere, postgres, postgresFromSubnet1('Deny')],
      }),
    );
    await eventuallyDelivered('plain-2', 'db-1', tcp(5432));
    await readyNow('SecurityGroup', 'db', 1);
    await ovn.nb(['--wait=sb', 'sync']);
    await expectTrace('plain-1', 'db-1', tcp(5432), 'dropped');
    await expectTrace('plain-1', 'db-1', icmp, 'delivered');

    // The same rule turned to Allow.
    await cluster.apply(
      doc('SecurityGroup', 'db', {
        vpcRef: { name: 'blue' },
        rules: [pingFromAnywhere, postgres, postgresFromSubnet1('Allow')],
      }),
    );
    await eventuallyDelivered('plain-1', 'db-1', tcp(5432));
  });

  it('drops inbound without a SecurityGroup allowing it, allows outbound and replies', async () => {
    // plain-1 → plain-2: it leaves plain-1 and is dropped at plain-2's port.
    for (const t of [icmp, tcp(80)]) {
      const v = await expectTrace('plain-1', 'plain-2', t, 'dropped');
      expect(v.reachedPort).toBe(true);
    }
    // The same sender reaches a port that accepts it.
    await expectTrace('plain-1', 'web-1', tcp(80), 'delivered');
    // web-1 answers from port 80: as a reply it passes plain-1's inbound deny, as a new
    // connection it does not.
    await expectTrace('web-1', 'plain-1', tcp(49152, 80), 'delivered', { ct: 'reply' });
    await expectTrace('web-1', 'plain-1', tcp(49152, 80), 'dropped', { ct: 'new' });

    // Outbound is only allowed while nothing denies it: an Egress Deny stops TCP at the sender.
    const v = await expectTrace('locked-1', 'web-1', tcp(80), 'dropped');
    expect(v.reachedPort).toBe(false);
    await expectTrace('locked-1', 'web-1', icmp, 'delivered');
  });
});
