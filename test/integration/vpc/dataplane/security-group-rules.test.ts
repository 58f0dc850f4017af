// A SecurityGroup rule change reaches the packets: a rule added to the server's group lets a
// TCP connection through (to that port only), and removed, stops it again. The times seen
// are printed, not asserted: the machine is shared.
import { afterAll, describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../../harness/index.ts';
import {
  doc,
  startTcpServer,
  tcpRequest,
  useVpcDataPlane,
  type NicGuest,
} from '../dataplane-fixture.ts';

const cluster = useTestCluster('vpc-dp-sg');
const dp = useVpcDataPlane(cluster);
const observed: Record<string, number> = {};

afterAll(() => {
  console.log(
    `observed (ms): ${JSON.stringify(observed)}; port bound and up after plugging (ms): ${JSON.stringify(Object.fromEntries(dp.bindTimes))}`,
  );
});

const allow8080 = {
  name: 'tcp-8080',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 8080, to: 8080 },
  remoteCIDR: '10.0.0.0/16',
};

/** Milliseconds until the connection's outcome is `wanted`. */
async function until(
  what: string,
  probe: () => Promise<string | undefined>,
  wanted: (reply: string | undefined) => boolean,
): Promise<number> {
  const start = Date.now();
  await waitFor(async () => wanted(await probe()), { what, timeoutMs: 30_000, intervalMs: 50 });
  return Date.now() - start;
}

describe('SecurityGroup rules on real packets', () => {
  let server: NicGuest;
  let peer: NicGuest;
  let client: NicGuest;

  it('denies a connection into the group from outside it, and lets members in', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'web', { vpcRef: { name: 'v' } }),
        doc('NetworkInterface', 'server', {
          subnetRef: { name: 's' },
          securityGroupRefs: [{ name: 'web' }],
        }),
        doc('NetworkInterface', 'peer', {
          subnetRef: { name: 's' },
          securityGroupRefs: [{ name: 'web' }],
        }),
        doc('NetworkInterface', 'client', { subnetRef: { name: 's' } }),
      ].join('---\n'),
    );
    [server, peer, client] = await Promise.all([
      dp.guest('server'),
      dp.guest('peer'),
      dp.guest('client'),
    ]);
    await startTcpServer(server, 8080, 'server:8080');
    await startTcpServer(server, 9090, 'server:9090');
    const ip = server.nic.ipAddress;
    await waitFor(async () => (await tcpRequest(peer, ip, 8080)) === 'server:8080', {
      what: 'a member of the group to connect to another',
    });
    expect(await tcpRequest(peer, ip, 9090)).toBe('server:9090');
    expect(await tcpRequest(client, ip, 8080)).toBeUndefined();
  });

  it('lets the connection through once a rule allows it, on that port only', async () => {
    const ip = server.nic.ipAddress;
    await cluster.apply(doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: [allow8080] }));
    observed.ruleAddedToConnection = await until(
      'the client to connect once tcp-8080 is allowed',
      () => tcpRequest(client, ip, 8080, 500),
      (reply) => reply === 'server:8080',
    );
    expect(await tcpRequest(client, ip, 9090)).toBeUndefined();
  });

  it('stops new connections once the rule is removed; members still connect', async () => {
    const ip = server.nic.ipAddress;
    await cluster.apply(doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: [] }));
    observed.ruleRemovedToRefusal = await until(
      'the client to be refused once tcp-8080 is gone',
      () => tcpRequest(client, ip, 8080, 500),
      (reply) => reply === undefined,
    );
    // A longer wait gets no answer either: the rule is gone, not the reply slow.
    expect(await tcpRequest(client, ip, 8080, 2_000)).toBeUndefined();
    expect(await tcpRequest(peer, ip, 8080)).toBe('server:8080');
  });
});
