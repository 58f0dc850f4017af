// The VPC kinds reject bad input at the API server, before any controller sees it: malformed
// or misaligned CIDRs, prefixes out of range, a gateway outside its subnet, changes to
// immutable fields, multicast MACs, contradictory rules and routes. Good objects are accepted.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';
import { apiVersion, doc } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-api');

async function refused(kind: string, name: string, spec: object): Promise<string> {
  const r = await rejection(cluster.apply(doc(kind, name, spec)));
  expect(r.code).toBe(422);
  return r.message;
}

beforeAll(async () => {
  await cluster.apply(
    [
      doc('VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'], dnsServers: ['10.0.0.2'] }),
      doc('Subnet', 's1', {
        vpcRef: { name: 'v1' },
        cidrBlock: '10.0.1.0/24',
        gatewayIP: '10.0.1.1',
        excludedRanges: ['10.0.1.10-10.0.1.20', '10.0.1.99'],
      }),
      doc('NetworkInterface', 'n1', {
        subnetRef: { name: 's1' },
        ipAddress: '10.0.1.5',
        macAddress: '02:00:00:00:00:01',
      }),
      doc('SecurityGroup', 'web', {
        vpcRef: { name: 'v1' },
        rules: [
          {
            name: 'http',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 80, to: 80 },
            remoteCIDR: '0.0.0.0/0',
          },
          {
            name: 'peers',
            direction: 'Ingress',
            protocol: 'All',
            remoteSecurityGroupRef: { name: 'web' },
          },
        ],
      }),
      doc('RouteTable', 'rt', {
        vpcRef: { name: 'v1' },
        routes: [
          { destination: '0.0.0.0/0', nextHopIP: '10.0.1.254' },
          { destination: '192.168.0.0/16', blackhole: true },
        ],
      }),
      doc('NetworkACL', 'acl', {
        subnetRefs: [{ name: 's1' }],
        rules: [
          {
            ruleNumber: 10,
            direction: 'Ingress',
            protocol: 'All',
            cidr: '0.0.0.0/0',
            action: 'Allow',
          },
        ],
      }),
    ].join('---\n'),
  );
});

describe('VPC API validation by the API server', () => {
  it('accepts good objects, applies defaults and lists them under kcloud', async () => {
    const nic = await cluster.read({ apiVersion, kind: 'NetworkInterface', name: 'n1' });
    expect((nic as unknown as { spec: { portSecurity: boolean } }).spec.portSecurity).toBe(true);
    const sg = (await cluster.read({
      apiVersion,
      kind: 'SecurityGroup',
      name: 'web',
    })) as unknown as {
      spec: { rules: { action: string; priority: number }[] };
    };
    expect(sg.spec.rules.map((r) => [r.action, r.priority])).toEqual([
      ['Allow', 100],
      ['Allow', 100],
    ]);
    const out = await cluster.kubectl(['get', 'kcloud', '-n', cluster.namespace, '-o', 'name']);
    // The category also lists other products' cluster-scoped objects (Hosts, StoragePools).
    const vpcObjects = out.stdout
      .split('\n')
      .filter((l) => l.includes('.vpc.kcloud.io/'))
      .sort();
    expect(vpcObjects).toEqual([
      'networkacl.vpc.kcloud.io/acl',
      'networkinterface.vpc.kcloud.io/n1',
      'routetable.vpc.kcloud.io/rt',
      'securitygroup.vpc.kcloud.io/web',
      'subnet.vpc.kcloud.io/s1',
      'vpc.vpc.kcloud.io/v1',
    ]);
  });

  it('rejects CIDRs that are malformed, have host bits set or a prefix out of range', async () => {
    expect(await refused('VPC', 'bad', { cidrBlocks: ['not-a-cidr'] })).toContain(
      'spec.cidrBlocks[0]: Invalid value: "not-a-cidr": must be an IPv4 CIDR such as 10.0.0.0/16',
    );
    expect(await refused('VPC', 'bad', { cidrBlocks: ['10.0.0.5/16'] })).toContain(
      'must be a network address with no host bits set',
    );
    expect(await refused('VPC', 'bad', { cidrBlocks: ['10.0.0.0/30'] })).toContain(
      'prefix length must be between /8 and /28',
    );
    expect(
      await refused('Subnet', 'bad', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.0.0/12' }),
    ).toContain('prefix length must be between /16 and /29');
    expect(await refused('VPC', 'bad', { cidrBlocks: ['fd00::/64'] })).toContain(
      'must be an IPv4 CIDR',
    );
  });

  it('rejects a gateway outside the subnet and malformed excluded ranges', async () => {
    expect(
      await refused('Subnet', 'bad', {
        vpcRef: { name: 'v1' },
        cidrBlock: '10.0.2.0/24',
        gatewayIP: '10.0.3.1',
      }),
    ).toContain('gatewayIP must be inside cidrBlock');
    expect(
      await refused('Subnet', 'bad', {
        vpcRef: { name: 'v1' },
        cidrBlock: '10.0.2.0/24',
        excludedRanges: ['10.0.2.300'],
      }),
    ).toContain('must be an IPv4 address or a range such as 10.0.1.10-10.0.1.20');
  });

  it('keeps immutable fields immutable', async () => {
    const s1 = {
      vpcRef: { name: 'v1' },
      cidrBlock: '10.0.1.0/24',
      gatewayIP: '10.0.1.1',
      excludedRanges: ['10.0.1.10-10.0.1.20', '10.0.1.99'],
    };
    expect(
      await refused('Subnet', 's1', { ...s1, cidrBlock: '10.0.9.0/24', gatewayIP: '10.0.9.1' }),
    ).toContain('cidrBlock is immutable');
    expect(await refused('Subnet', 's1', { ...s1, vpcRef: { name: 'other' } })).toContain(
      'vpcRef is immutable',
    );
    expect(
      await refused('NetworkInterface', 'n1', {
        subnetRef: { name: 's1' },
        ipAddress: '10.0.1.6',
        macAddress: '02:00:00:00:00:01',
      }),
    ).toContain('ipAddress is immutable');
    // Mutable fields still change.
    await cluster.apply(doc('Subnet', 's1', { ...s1, excludedRanges: ['10.0.1.10-10.0.1.30'] }));
  });

  it('rejects multicast MACs, contradictory security-group rules and routes', async () => {
    expect(
      await refused('NetworkInterface', 'bad', {
        subnetRef: { name: 's1' },
        macAddress: '01:00:00:00:00:01',
      }),
    ).toContain('must be a unicast MAC address');
    expect(
      await refused('SecurityGroup', 'bad', {
        vpcRef: { name: 'v1' },
        rules: [
          {
            name: 'x',
            direction: 'Ingress',
            protocol: 'TCP',
            remoteCIDR: '0.0.0.0/0',
            remoteSecurityGroupRef: { name: 'web' },
          },
        ],
      }),
    ).toContain('set exactly one of remoteCIDR and remoteSecurityGroupRef');
    expect(
      await refused('SecurityGroup', 'bad', {
        vpcRef: { name: 'v1' },
        rules: [
          {
            name: 'x',
            direction: 'Ingress',
            protocol: 'ICMP',
            ports: { from: 1, to: 2 },
            remoteCIDR: '0.0.0.0/0',
          },
        ],
      }),
    ).toContain('ports apply to TCP and UDP only');
    expect(
      await refused('SecurityGroup', 'bad', {
        vpcRef: { name: 'v1' },
        rules: [
          {
            name: 'x',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 90, to: 80 },
            remoteCIDR: '0.0.0.0/0',
          },
        ],
      }),
    ).toContain('ports.to must not be below ports.from');
    expect(
      await refused('RouteTable', 'bad', {
        vpcRef: { name: 'v1' },
        routes: [{ destination: '0.0.0.0/0', nextHopIP: '10.0.1.254', blackhole: true }],
      }),
    ).toContain('set exactly one of nextHopIP, nextHopInterfaceRef and blackhole: true');
  });

  it('keeps bandwidth limits between 1 Mbit/s and 100 Gbit/s', async () => {
    for (const bandwidth of [{ egressMbps: 0 }, { ingressMbps: 100_001 }, { egressMbps: 1.5 }]) {
      expect(
        await refused('NetworkInterface', 'bad', { subnetRef: { name: 's1' }, bandwidth }),
      ).toMatch(/spec\.bandwidth\.(egressMbps|ingressMbps)/);
    }
  });

  it('teaches the API through kubectl explain', async () => {
    // kubectl wraps long descriptions: compare with the line breaks folded away.
    const text = async (what: string) =>
      (await cluster.kubectl(['explain', what])).stdout.replace(/\s+/g, ' ');
    expect(await text('subnets.spec.cidrBlock')).toContain(
      'It must lie inside one of the VPC ranges and not overlap another Subnet',
    );
    expect(await text('securitygroups')).toContain(
      'By default inbound traffic is denied except from members of the same group',
    );
  });
});
