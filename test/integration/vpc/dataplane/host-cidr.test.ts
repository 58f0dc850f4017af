// A SecurityGroup rule for one host lets that host in and no other, on real packets: the rule
// must be written /32, and the API server refuses the same address with a wider prefix
// (10.0.1.20/24), which OVN would otherwise have read as the whole /24 and opened to every
// neighbour.
import { describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster, waitFor } from '../../../harness/index.ts';
import { doc, startTcpServer, tcpRequest, useVpcDataPlane } from '../dataplane-fixture.ts';

const cluster = useTestCluster('vpc-dp-host');
const dp = useVpcDataPlane(cluster);

const allowFrom = (remoteCIDR: string) => ({
  vpcRef: { name: 'v' },
  rules: [
    {
      name: 'one-host',
      direction: 'Ingress',
      protocol: 'TCP',
      ports: { from: 8080, to: 8080 },
      remoteCIDR,
    },
  ],
});

describe('a rule for one host on real packets', () => {
  it('admits that host and refuses its neighbour in the same /24', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'web', allowFrom('10.0.1.20/32')),
        doc('NetworkInterface', 'server', {
          subnetRef: { name: 's' },
          ipAddress: '10.0.1.10',
          securityGroupRefs: [{ name: 'web' }],
        }),
        doc('NetworkInterface', 'allowed', { subnetRef: { name: 's' }, ipAddress: '10.0.1.20' }),
        doc('NetworkInterface', 'neighbour', { subnetRef: { name: 's' }, ipAddress: '10.0.1.21' }),
      ].join('---\n'),
    );
    const [server, allowed, neighbour] = await Promise.all([
      dp.guest('server'),
      dp.guest('allowed'),
      dp.guest('neighbour'),
    ]);
    await startTcpServer(server, 8080, 'server:8080');
    await waitFor(async () => (await tcpRequest(allowed, '10.0.1.10', 8080)) === 'server:8080', {
      what: 'the allowed host to connect',
    });
    // The neighbour shares the /24 and is refused, however long it waits.
    expect(await tcpRequest(neighbour, '10.0.1.10', 8080, 3_000)).toBeUndefined();
    expect(await tcpRequest(allowed, '10.0.1.10', 8080)).toBe('server:8080');
  });

  it('refuses the same host written with a wider prefix, leaving the rule as it was', async () => {
    const r = await rejection(
      cluster.apply(doc('SecurityGroup', 'web', allowFrom('10.0.1.20/24'))),
    );
    expect(r.code).toBe(422);
    expect(r.message).toContain('must be a network address with no host bits set');
    const sg = await cluster.read({
      apiVersion: 'vpc.kcloud.io/v1alpha1',
      kind: 'SecurityGroup',
      name: 'web',
    });
    expect(JSON.stringify(sg)).toContain('10.0.1.20/32');
  });
});
