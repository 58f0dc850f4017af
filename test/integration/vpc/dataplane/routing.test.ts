// Real packets through the VPC operator's OVN: guests (network namespaces plugged into br-int
// as a NetworkInterface's port) in two Subnets of one VPC reach each other through the VPC
// router; a SecurityGroup decides what comes in; two VPCs with the same addresses never see
// each other's traffic.
import { afterAll, describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../../harness/index.ts';
import {
  doc,
  ping,
  startTcpServer,
  tcpRequest,
  useVpcDataPlane,
  type NicGuest,
} from '../dataplane-fixture.ts';

const cluster = useTestCluster('vpc-dp-route');
const dp = useVpcDataPlane(cluster);

afterAll(() => {
  console.log(
    `port bound and up after plugging (ms): ${JSON.stringify(Object.fromEntries(dp.bindTimes))}`,
  );
});

const anywhere = '0.0.0.0/0';
const icmpIn = { name: 'icmp', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: anywhere };
const tcpIn = {
  name: 'tcp-8080',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 8080, to: 8080 },
  remoteCIDR: anywhere,
};

/** The TTL of the echo reply, which tells how many routers it crossed. */
async function replyTtl(from: NicGuest, ip: string): Promise<number | undefined> {
  const r = await from.exec(['ping', '-n', '-c', '1', '-W', '1', ip], { timeoutMs: 10_000 });
  const ttl = /ttl=(\d+)/.exec(r.stdout)?.[1];
  return r.code === 0 && ttl ? Number(ttl) : undefined;
}

const reachable = (from: NicGuest, ip: string) =>
  waitFor(() => ping(from, ip), {
    what: `${from.name} to get an echo reply from ${ip}`,
    timeoutMs: 20_000,
  });

describe('two Subnets of one VPC', () => {
  let web: NicGuest;
  let db: NicGuest;
  let lone: NicGuest;

  it('starts a guest per NetworkInterface and binds its port', async () => {
    await cluster.apply(
      [
        doc('VPC', 'prod', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'web', { vpcRef: { name: 'prod' }, cidrBlock: '10.0.1.0/24' }),
        doc('Subnet', 'db', { vpcRef: { name: 'prod' }, cidrBlock: '10.0.2.0/24' }),
        doc('SecurityGroup', 'app', { vpcRef: { name: 'prod' }, rules: [icmpIn] }),
        doc('NetworkInterface', 'web-1', {
          subnetRef: { name: 'web' },
          securityGroupRefs: [{ name: 'app' }],
        }),
        doc('NetworkInterface', 'db-1', {
          subnetRef: { name: 'db' },
          securityGroupRefs: [{ name: 'app' }],
        }),
        doc('NetworkInterface', 'lone', { subnetRef: { name: 'web' } }),
      ].join('---\n'),
    );
    [web, db, lone] = await Promise.all([dp.guest('web-1'), dp.guest('db-1'), dp.guest('lone')]);
    expect(web.nic.gatewayIP).toBe('10.0.1.1');
    expect(db.nic.ipAddress).toMatch(/^10\.0\.2\./);
  });

  it('reaches the gateway and a guest in the other Subnet through the VPC router', async () => {
    await reachable(web, web.nic.gatewayIP);
    await reachable(web, db.nic.ipAddress);
    // One router crossed each way: the reply left db-1 with 64 and arrived with 63.
    expect(await replyTtl(web, db.nic.ipAddress)).toBe(63);
    expect(await replyTtl(db, web.nic.ipAddress)).toBe(63);

    await startTcpServer(db, 8080, 'db-1');
    // Same group: members accept any traffic from each other.
    expect(await tcpRequest(web, db.nic.ipAddress, 8080)).toBe('db-1');
  });

  it('lets in only what a SecurityGroup allows; replies to outbound traffic pass', async () => {
    // lone is in no group: its outbound ping to db-1 (whose group allows ICMP) and the reply pass.
    await reachable(lone, db.nic.ipAddress);
    // TCP from a non-member is not allowed into db-1...
    expect(await tcpRequest(lone, db.nic.ipAddress, 8080)).toBeUndefined();
    // ...and nothing is allowed into lone, though it answers from the inside.
    await startTcpServer(lone, 8080, 'lone');
    expect(await tcpRequest(lone, '127.0.0.1', 8080)).toBe('lone');
    expect(await ping(web, lone.nic.ipAddress)).toBe(false);
    expect(await tcpRequest(web, lone.nic.ipAddress, 8080)).toBeUndefined();
    // The same path still carries what is allowed.
    expect(await tcpRequest(web, db.nic.ipAddress, 8080)).toBe('db-1');
  });
});

describe('two VPCs with the same addresses', () => {
  const vpcs = ['blue', 'green'] as const;
  const guests: Record<string, NicGuest> = {};

  it('starts guests with the same IP and MAC addresses in each VPC', async () => {
    const docs: string[] = [];
    for (const v of vpcs) {
      const nic = (name: string, subnet: string, ip: string, mac: string) =>
        doc('NetworkInterface', `${v}-${name}`, {
          subnetRef: { name: `${v}-${subnet}` },
          ipAddress: ip,
          macAddress: mac,
          securityGroupRefs: [{ name: `${v}-open` }],
        });
      docs.push(
        doc('VPC', v, { cidrBlocks: ['10.0.0.0/16'] }),
        // Open to all: only the VPCs keep the traffic apart.
        doc('SecurityGroup', `${v}-open`, { vpcRef: { name: v }, rules: [icmpIn, tcpIn] }),
        doc('Subnet', `${v}-a`, { vpcRef: { name: v }, cidrBlock: '10.0.1.0/24' }),
        nic('x', 'a', '10.0.1.10', '02:00:00:00:01:10'),
        nic('y', 'a', '10.0.1.11', '02:00:00:00:01:11'),
      );
    }
    // Addresses only one VPC has: one beside x and y, one in a Subnet behind the router.
    docs.push(
      doc('NetworkInterface', 'green-z', {
        subnetRef: { name: 'green-a' },
        ipAddress: '10.0.1.12',
        securityGroupRefs: [{ name: 'green-open' }],
      }),
      doc('Subnet', 'blue-b', { vpcRef: { name: 'blue' }, cidrBlock: '10.0.2.0/24' }),
      doc('NetworkInterface', 'blue-w', {
        subnetRef: { name: 'blue-b' },
        ipAddress: '10.0.2.10',
        securityGroupRefs: [{ name: 'blue-open' }],
      }),
    );
    await cluster.apply(docs.join('---\n'));
    const names = ['blue-x', 'blue-y', 'blue-w', 'green-x', 'green-y', 'green-z'];
    const started = await Promise.all(names.map((n) => dp.guest(n)));
    names.forEach((n, i) => (guests[n] = started[i] as NicGuest));
    await Promise.all(names.map((n) => startTcpServer(guests[n] as NicGuest, 8080, n)));
  });

  it('carries traffic inside each VPC to its own guest', async () => {
    for (const v of vpcs) {
      const x = guests[`${v}-x`] as NicGuest;
      await reachable(x, '10.0.1.11');
      expect(await tcpRequest(x, '10.0.1.11', 8080)).toBe(`${v}-y`);
      expect(await tcpRequest(guests[`${v}-y`] as NicGuest, '10.0.1.10', 8080)).toBe(`${v}-x`);
    }
    await reachable(guests['green-x'] as NicGuest, '10.0.1.12');
    await reachable(guests['blue-x'] as NicGuest, '10.0.2.10');
  });

  it('never carries traffic from one VPC to the other', async () => {
    const blue = guests['blue-x'] as NicGuest;
    const green = guests['green-x'] as NicGuest;
    // Beside it on the same Subnet range, and behind the router: only in the other VPC.
    expect(await ping(blue, '10.0.1.12')).toBe(false);
    expect(await tcpRequest(blue, '10.0.1.12', 8080)).toBeUndefined();
    expect(await ping(green, '10.0.2.10')).toBe(false);
    expect(await tcpRequest(green, '10.0.2.10', 8080)).toBeUndefined();
  });
});
