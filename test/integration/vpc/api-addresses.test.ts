// Every address and CIDR a VPC object hands to OVN is refused by the API server unless OVN
// would read it exactly as written: no host bits in a rule or route CIDR (OVN 23.03 would
// widen 10.0.2.5/24 to the whole /24 without a word), no other spelling than the canonical one,
// no excluded range that runs backwards or leaves its Subnet, no gateway on the network or
// broadcast address, no all-zero MAC. One host is written /32 and is accepted.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';
import { doc } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-api-addr');

async function refused(kind: string, name: string, spec: object): Promise<string> {
  const r = await rejection(cluster.apply(doc(kind, name, spec)));
  expect(r.code).toBe(422);
  return r.message;
}

const hostBits = 'must be a network address with no host bits set';

const sgRule = (remoteCIDR: string) => ({
  vpcRef: { name: 'v1' },
  rules: [
    { name: 'one', direction: 'Ingress', protocol: 'TCP', ports: { from: 22, to: 22 }, remoteCIDR },
  ],
});
const naclRule = (cidr: string) => ({
  subnetRefs: [{ name: 's1' }],
  rules: [{ ruleNumber: 10, direction: 'Egress', protocol: 'All', cidr, action: 'Deny' }],
});
const route = (destination: string) => ({
  vpcRef: { name: 'v1' },
  routes: [{ destination, nextHopIP: '10.0.1.254' }],
});
const subnet = (extra: object) => ({ vpcRef: { name: 'v1' }, cidrBlock: '10.0.2.0/24', ...extra });

beforeAll(async () => {
  await cluster.apply(doc('VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }));
});

describe('the API server refuses what OVN would read differently', () => {
  it('refuses host bits in SecurityGroup, NetworkACL and route CIDRs, and says to use /32', async () => {
    const sg = await refused('SecurityGroup', 'bad', sgRule('10.0.2.5/24'));
    expect(sg).toContain('spec.rules[0].remoteCIDR: Invalid value: "10.0.2.5/24"');
    expect(sg).toContain(hostBits);
    expect(sg).toContain('10.0.1.5/32');
    const nacl = await refused('NetworkACL', 'bad', naclRule('192.168.1.1/16'));
    expect(nacl).toContain('spec.rules[0].cidr: Invalid value: "192.168.1.1/16"');
    expect(nacl).toContain(hostBits);
    const rt = await refused('RouteTable', 'bad', route('172.16.0.1/12'));
    expect(rt).toContain('spec.routes[0].destination: Invalid value: "172.16.0.1/12"');
    expect(rt).toContain(hostBits);
  });

  it('accepts one host as /32, anywhere as 0.0.0.0/0, and a network as written', async () => {
    await cluster.apply(
      [
        doc('SecurityGroup', 'one-host', sgRule('10.0.2.5/32')),
        doc('SecurityGroup', 'anywhere', sgRule('0.0.0.0/0')),
        doc('NetworkACL', 'net', naclRule('192.168.0.0/16')),
        doc('RouteTable', 'host-route', route('172.16.0.1/32')),
      ].join('---\n'),
    );
  });

  it('refuses other spellings than the canonical one', async () => {
    for (const cidr of ['010.0.2.0/24', '10.0.2.0/024', '10.0.2.0/ 24', ' 10.0.2.0/24']) {
      expect(await refused('SecurityGroup', 'bad', sgRule(cidr))).toContain('remoteCIDR');
    }
    expect(await refused('Subnet', 'bad', subnet({ gatewayIP: '10.0.2.01' }))).toContain(
      'must be an IPv4 address',
    );
    expect(
      await refused('NetworkInterface', 'bad', {
        subnetRef: { name: 's1' },
        ipAddress: '10.0.1.005',
      }),
    ).toContain('must be an IPv4 address');
  });

  it('refuses an excluded range that runs backwards or lies outside the Subnet', async () => {
    expect(
      await refused('Subnet', 'bad', subnet({ excludedRanges: ['10.0.2.20-10.0.2.10'] })),
    ).toContain('a range must not end before it starts');
    // Compared as numbers, not as text: .9 comes before .10.
    await cluster.apply(
      doc('Subnet', 'ordered', subnet({ excludedRanges: ['10.0.2.9-10.0.2.10'] })),
    );
    expect(
      await refused('Subnet', 'bad', subnet({ excludedRanges: ['10.0.3.10-10.0.3.20'] })),
    ).toContain('every excluded address must lie inside cidrBlock');
    expect(
      await refused('Subnet', 'bad', subnet({ excludedRanges: ['10.0.2.250-10.0.3.5'] })),
    ).toContain('every excluded address must lie inside cidrBlock');
  });

  it('refuses a gateway on the network or broadcast address', async () => {
    for (const gatewayIP of ['10.0.2.0', '10.0.2.255']) {
      expect(await refused('Subnet', 'bad', subnet({ gatewayIP }))).toContain(
        'gatewayIP must not be the network or the broadcast address of cidrBlock',
      );
    }
    expect(
      await refused('Subnet', 'bad', {
        vpcRef: { name: 'v1' },
        cidrBlock: '10.0.4.8/29',
        gatewayIP: '10.0.4.15',
      }),
    ).toContain('gatewayIP must not be the network or the broadcast address');
    await cluster.apply(
      [
        doc('Subnet', 'last-gw', subnet({ gatewayIP: '10.0.2.254' })),
        doc('Subnet', 'small', {
          vpcRef: { name: 'v1' },
          cidrBlock: '10.0.4.8/29',
          gatewayIP: '10.0.4.14',
        }),
      ].join('---\n'),
    );
  });

  it('refuses the all-zero MAC', async () => {
    expect(
      await refused('NetworkInterface', 'bad', {
        subnetRef: { name: 's1' },
        macAddress: '00:00:00:00:00:00',
      }),
    ).toContain('must not be the all-zero MAC address');
  });
});
