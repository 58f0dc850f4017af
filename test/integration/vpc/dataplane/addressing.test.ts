// Addresses on real packets: OVN's own DHCP hands a guest its NetworkInterface's address and
// gateway; port security drops what a guest sends from a MAC or an IP that is not its
// interface's, unless the interface has port security turned off.
import { afterAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { useTestCluster, waitFor } from '../../../harness/index.ts';
import {
  dhcpLease,
  doc,
  linkLocal,
  ping,
  sendUdp,
  setNeighbour,
  startUdpListener,
  useVpcDataPlane,
  type NicGuest,
  type UdpListener,
} from '../dataplane-fixture.ts';

const cluster = useTestCluster('vpc-dp-addr');
const dp = useVpcDataPlane(cluster);

const observed: Record<string, number> = {};

afterAll(() => {
  console.log(
    `observed (ms): ${JSON.stringify(observed)}; port bound and up after plugging (ms): ${JSON.stringify(Object.fromEntries(dp.bindTimes))}`,
  );
});

const udpIn = {
  name: 'udp',
  direction: 'Ingress',
  protocol: 'UDP',
  ports: { from: 5000, to: 5000 },
  remoteCIDR: '0.0.0.0/0',
};

describe('DHCP from OVN', () => {
  it("leases a guest its interface's address, the gateway as router and the Subnet's mask", async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's', {
          vpcRef: { name: 'v' },
          cidrBlock: '10.0.1.0/24',
          dhcp: { enabled: true, leaseTimeSeconds: 600 },
        }),
        doc('NetworkInterface', 'dyn', { subnetRef: { name: 's' } }),
      ].join('---\n'),
    );
    const g = await dp.guest('dyn', { dhcp: true });
    const asked = Date.now();
    const lease = await dhcpLease(g, dp.layout().runDir);
    observed.dhcpLease = Date.now() - asked;
    expect(lease).toMatchObject({
      ip: g.nic.ipAddress,
      router: g.nic.gatewayIP,
      serverid: g.nic.gatewayIP,
      subnet: '255.255.255.0',
      lease: '600',
      mtu: '1442',
    });
    // The lease works: with it, the guest reaches its gateway.
    expect(await ping(g, g.nic.gatewayIP)).toBe(false);
    for (const cmd of [
      ['ip', 'address', 'add', `${lease.ip ?? ''}/24`, 'dev', 'eth0'],
      ['ip', 'route', 'add', 'default', 'via', lease.router ?? ''],
    ]) {
      expect(await g.exec(cmd)).toMatchObject({ code: 0 });
    }
    await waitFor(() => ping(g, g.nic.gatewayIP), { what: 'the leased address to work' });
  });

  it('does not answer on a Subnet with DHCP turned off', async () => {
    await cluster.apply(
      [
        doc('Subnet', 'static', {
          vpcRef: { name: 'v' },
          cidrBlock: '10.0.2.0/24',
          dhcp: { enabled: false },
        }),
        doc('NetworkInterface', 'fixed', { subnetRef: { name: 'static' } }),
      ].join('---\n'),
    );
    const g = await dp.guest('fixed', { dhcp: true });
    await expect(dhcpLease(g, dp.layout().runDir, 2)).rejects.toThrow(/got no lease/);
  });
});

describe('port security', () => {
  let target: NicGuest;
  let honest: NicGuest;
  let listener: UdpListener;
  /** Each distinct datagram once (every send repeats it). */
  const received = () => [...new Set(listener.received())];
  let victim: { ip: string; mac: string };

  /** Sends from `from` to the target's listener, with the target's MAC fixed (no ARP). */
  async function sendToTarget(from: NicGuest, text: string): Promise<void> {
    await setNeighbour(from, target.nic.ipAddress, target.nic.macAddress);
    await sendUdp(from, target.nic.ipAddress, 5000, text);
  }

  /** Waits for the honest guest's datagram, so whatever was sent before had time to arrive. */
  async function flush(marker: string): Promise<void> {
    await sendToTarget(honest, marker);
    await waitFor(() => listener.received().some((l) => l.endsWith(` ${marker}`)), {
      what: `${marker} from the honest guest`,
    });
    await sleep(200);
  }

  it("carries an honest guest's datagrams", async () => {
    await cluster.apply(
      [
        doc('Subnet', 'ps', { vpcRef: { name: 'v' }, cidrBlock: '10.0.3.0/24' }),
        doc('SecurityGroup', 'udp-in', { vpcRef: { name: 'v' }, rules: [udpIn] }),
        ...['target', 'honest', 'victim', 'mac-spoof', 'ip-spoof'].map((n) =>
          doc('NetworkInterface', n, {
            subnetRef: { name: 'ps' },
            securityGroupRefs: [{ name: 'udp-in' }],
          }),
        ),
        ...['open', 'open-2'].map((n) =>
          doc('NetworkInterface', n, {
            subnetRef: { name: 'ps' },
            portSecurity: false,
            securityGroupRefs: [{ name: 'udp-in' }],
          }),
        ),
      ].join('---\n'),
    );
    const v = await dp.nic('victim');
    victim = { ip: v.ipAddress, mac: v.macAddress };
    [target, honest] = await Promise.all([dp.guest('target'), dp.guest('honest')]);
    listener = await startUdpListener(target, 5000);
    await flush('honest-1');
    expect(received()).toEqual([`${honest.nic.ipAddress} honest-1`]);
  });

  it("drops what a guest sends from another interface's MAC or IP", async () => {
    const [macSpoof, ipSpoof] = await Promise.all([
      dp.guest('mac-spoof', { mac: victim.mac }),
      dp.guest('ip-spoof', { ipAddress: victim.ip }),
    ]);
    await sendToTarget(macSpoof, 'from-victim-mac');
    await sendToTarget(ipSpoof, 'from-victim-ip');
    await flush('honest-2');
    expect(received()).toEqual([
      `${honest.nic.ipAddress} honest-1`,
      `${honest.nic.ipAddress} honest-2`,
    ]);
  });

  it('lets a spoofed source through an interface with port security off', async () => {
    const openIp = await dp.guest('open', { ipAddress: victim.ip, name: 'open-ip' });
    await sendToTarget(openIp, 'open-from-victim-ip');
    await openIp.close();
    const openMac = await dp.guest('open', { mac: victim.mac, name: 'open-mac' });
    await sendToTarget(openMac, 'open-from-victim-mac');
    await flush('honest-3');
    expect(received()).toEqual([
      `${honest.nic.ipAddress} honest-1`,
      `${honest.nic.ipAddress} honest-2`,
      `${victim.ip} open-from-victim-ip`,
      `${openMac.nic.ipAddress} open-from-victim-mac`,
      `${honest.nic.ipAddress} honest-3`,
    ]);
    await openMac.close();
  });

  it('still lets in only what a SecurityGroup allows, over IPv6 too', async () => {
    // Port security no longer drops IPv6 from or to these two: only the ACLs can.
    const [from, to] = await Promise.all([
      dp.guest('open', { name: 'open-v6' }),
      dp.guest('open-2'),
    ]);
    const v4 = await startUdpListener(to, 5000, 4);
    const v6 = await startUdpListener(to, 5000, 6);
    // Both ends need a usable link-local address: the sender's is the source.
    const [, toLL] = await Promise.all([linkLocal(from), linkLocal(to)]);
    await setNeighbour(from, to.nic.ipAddress, to.nic.macAddress);
    await setNeighbour(from, toLL, to.nic.macAddress);
    await sendUdp(from, `${toLL}%eth0`, 5000, 'over-ipv6');
    // The group allows UDP 5000 over IPv4: sent after, it arrives.
    await sendUdp(from, to.nic.ipAddress, 5000, 'over-ipv4');
    await waitFor(() => v4.received().includes(`${from.nic.ipAddress} over-ipv4`), {
      what: 'the IPv4 datagram the group allows',
    });
    await sleep(200);
    expect([...new Set(v6.received())]).toEqual([]);
  });
});
