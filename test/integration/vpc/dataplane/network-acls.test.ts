// NetworkACLs on real packets: stateless, so a rule that denies what comes into a Subnet stops
// the replies to connections its own interfaces opened (which SecurityGroups would let back
// in), Egress rules stop what leaves, rule order decides, and removing the NetworkACL
// restores everything.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../../harness/index.ts';
import {
  doc,
  ping,
  startTcpServer,
  tcpRequest,
  useVpcDataPlane,
  type NicGuest,
} from '../dataplane-fixture.ts';

const cluster = useTestCluster('vpc-dp-nacl');
const dp = useVpcDataPlane(cluster);

const nacl = (rules: object[]) =>
  doc('NetworkACL', 'guard', { subnetRefs: [{ name: 's1' }], rules });
const deny = (
  ruleNumber: number,
  direction: string,
  protocol: string,
  cidr: string,
  port?: number,
) => ({
  ruleNumber,
  direction,
  protocol,
  cidr,
  action: 'Deny',
  ...(port ? { ports: { from: port, to: port } } : {}),
});
const allowAll = (ruleNumber: number, direction: string) => ({
  ruleNumber,
  direction,
  protocol: 'All',
  cidr: '0.0.0.0/0',
  action: 'Allow',
});

async function eventually(what: string, probe: () => Promise<boolean>): Promise<void> {
  await waitFor(probe, { what, timeoutMs: 30_000, intervalMs: 100 });
}

describe('NetworkACLs on real packets', () => {
  let a: NicGuest;
  let b: NicGuest;

  it('connects two Subnets whose interfaces accept anything', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's1', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('Subnet', 's2', { vpcRef: { name: 'v' }, cidrBlock: '10.0.2.0/24' }),
        doc('SecurityGroup', 'open', {
          vpcRef: { name: 'v' },
          rules: [{ name: 'all', direction: 'Ingress', protocol: 'All', remoteCIDR: '0.0.0.0/0' }],
        }),
        doc('NetworkInterface', 'a', {
          subnetRef: { name: 's1' },
          securityGroupRefs: [{ name: 'open' }],
        }),
        doc('NetworkInterface', 'b', {
          subnetRef: { name: 's2' },
          securityGroupRefs: [{ name: 'open' }],
        }),
      ].join('---\n'),
    );
    [a, b] = await Promise.all([dp.guest('a'), dp.guest('b')]);
    await startTcpServer(b, 8080, 'b:8080');
    await startTcpServer(a, 8080, 'a:8080');
    await eventually('a to ping b', () => ping(a, b.nic.ipAddress));
    expect(await tcpRequest(a, b.nic.ipAddress, 8080)).toBe('b:8080');
  });

  it('stops replies coming into the Subnet: an Ingress deny is stateless', async () => {
    // ICMP from s2 denied into s1: b's echo requests, and also the echo replies to a's pings.
    await cluster.apply(
      nacl([deny(100, 'Ingress', 'ICMP', '10.0.2.0/24'), allowAll(200, 'Ingress')]),
    );
    await eventually('b to lose a', async () => !(await ping(b, a.nic.ipAddress)));
    expect(await ping(a, b.nic.ipAddress)).toBe(false);
    // Only ICMP: TCP both ways still works.
    expect(await tcpRequest(a, b.nic.ipAddress, 8080)).toBe('b:8080');
    expect(await tcpRequest(b, a.nic.ipAddress, 8080)).toBe('a:8080');
  });

  it('stops what leaves the Subnet with an Egress deny, and rule order decides', async () => {
    await cluster.apply(
      nacl([deny(100, 'Egress', 'TCP', '10.0.2.0/24', 8080), allowAll(200, 'Egress')]),
    );
    await eventually('a to ping b again', () => ping(a, b.nic.ipAddress));
    await eventually(
      'a to lose b:8080',
      async () => (await tcpRequest(a, b.nic.ipAddress, 8080)) === undefined,
    );
    // b's connections to a get in, but a's answers leave towards b's port 49152+, not 8080.
    expect(await tcpRequest(b, a.nic.ipAddress, 8080)).toBe('a:8080');
    // An Allow numbered before the Deny wins.
    await cluster.apply(
      nacl([
        { ...allowAll(50, 'Egress'), protocol: 'TCP', ports: { from: 8080, to: 8080 } },
        deny(100, 'Egress', 'TCP', '10.0.2.0/24', 8080),
      ]),
    );
    await eventually(
      'a to reach b:8080 again',
      async () => (await tcpRequest(a, b.nic.ipAddress, 8080)) === 'b:8080',
    );
  });

  it('cuts the Subnet off with deny-all rules, and lets everything through once it is gone', async () => {
    await cluster.apply(
      nacl([deny(100, 'Ingress', 'All', '0.0.0.0/0'), deny(100, 'Egress', 'All', '0.0.0.0/0')]),
    );
    await eventually('a cut off', async () => !(await ping(b, a.nic.ipAddress)));
    expect(await tcpRequest(b, a.nic.ipAddress, 8080)).toBeUndefined();
    await cluster.objects.delete({
      apiVersion: 'vpc.kcloud.io/v1alpha1',
      kind: 'NetworkACL',
      metadata: { name: 'guard', namespace: cluster.namespace },
    });
    await eventually('a reachable again', () => ping(b, a.nic.ipAddress));
    expect(await tcpRequest(a, b.nic.ipAddress, 8080)).toBe('b:8080');
  });
});
