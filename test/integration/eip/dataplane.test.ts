// EIPs carry real packets: OVN with its data plane (Open vSwitch userspace datapath,
// ovn-controller), a provider bridge br-ex mapped to the pool's physnet, a network namespace
// "internet" on br-ex holding the pool's gateway address, and guests (namespaces) plugged in as
// NetworkInterfaces. From the internet an EIP reaches the interface it is bound to (ping, TCP),
// the interface's traffic out arrives from the EIP, a re-binding moves it all to the other
// interface, and unbinding makes the address unreachable. The NAT is distributed (answered with
// the EIP's own MAC), which works on this userspace datapath.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Guest } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { measureTcp } from '../vpc/dataplane/throughput.ts';
import {
  ping,
  sendUdp,
  startTcpServer,
  startUdpListener,
  tcpRequest,
} from '../vpc/dataplane-fixture.ts';
import { doc, eipApi, eipRef, useEipOperator, vpcApi } from './fixture.ts';
import { internetPool, nicGuest, plugInternet } from './internet.ts';

const chassis = 'kcloud-eip-dp';
const cluster = useTestCluster('eip-dp');
const eip = useEipOperator(cluster, { dataPlane: true, chassis }, [chassis]);
const guests: Guest[] = [];
let pool = '';
let internet: Guest;
const gatewayIP = internetPool.gatewayIP;

/** A guest plugged in as the NetworkInterface's port, once ovn-controller reports it up. */
async function guestOf(name: string): Promise<Guest> {
  const g = await nicGuest(cluster, eip, name);
  guests.push(g);
  return g;
}

const bind = (nic: string | undefined, bandwidthMbps?: number) =>
  cluster.apply(
    doc(eipApi, 'EIP', 'pub', {
      poolRef: { name: pool },
      ...(nic ? { binding: { networkInterfaceRef: { name: nic } } } : {}),
      ...(bandwidthMbps ? { bandwidthMbps } : {}),
    }),
  );

/** Waits until the EIP is Ready for its current generation. */
const readyForGeneration = () =>
  waitFor(
    async () => {
      const o = await cluster.read(eipRef('pub'));
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === o.metadata?.generation;
    },
    { what: 'EIP pub Ready for its generation' },
  );

/** Whether the internet reaches `address` by ping within a while (the flows take a moment). */
const reachable = (address: string) =>
  waitFor(() => ping(internet, address), { what: `a ping from the internet to ${address}` });

beforeAll(async () => {
  pool = `${cluster.namespace}-pool`;
  internet = await plugInternet(eip);
  guests.push(internet);
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, internetPool),
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'Subnet', 's1', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'SecurityGroup', 'open', {
        vpcRef: { name: 'v1' },
        rules: [
          { name: 'ping', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '0.0.0.0/0' },
          {
            name: 'web',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 8080, to: 8080 },
            remoteCIDR: '0.0.0.0/0',
          },
          {
            name: 'throughput',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 5000, to: 5100 },
            remoteCIDR: '0.0.0.0/0',
          },
        ],
      }),
      ...['web', 'db'].map((n) =>
        doc(vpcApi, 'NetworkInterface', n, {
          subnetRef: { name: 's1' },
          securityGroupRefs: [{ name: 'open' }],
        }),
      ),
    ].join('---\n'),
  );
});

afterAll(async () => {
  for (const g of guests.splice(0)) await g.close().catch(() => undefined);
});

const figures: Record<string, number> = {};
afterAll(() => {
  console.log(`TCP throughput through the EIP (Mbit/s): ${JSON.stringify(figures)}`);
});

describe('an EIP on the data plane', () => {
  it('reaches the interface it is bound to from the internet, and its traffic out leaves from the EIP', async () => {
    const [web, db] = [await guestOf('web'), await guestOf('db')];
    await startTcpServer(web, 8080, 'web');
    await startTcpServer(db, 8080, 'db');
    await bind('web');
    const address = (await cluster.waitForCondition(eipRef('pub'), 'Ready')).status
      ?.address as string;
    await reachable(address);
    expect(await tcpRequest(internet, address, 8080)).toBe('web');
    // Distributed NAT: the address is answered for with the EIP's own MAC (the NAT row's
    // external_mac), from the target's chassis, not with the gateway port's MAC.
    const externalMac = (await eip.nb(['--bare', '--columns=external_mac', 'list', 'NAT'])).trim();
    expect(externalMac).toMatch(/^0e(:[0-9a-f]{2}){5}$/);
    const neighbour = await internet.exec(['ip', '-4', 'neigh', 'show', address]);
    expect(neighbour.stdout).toContain(`lladdr ${externalMac}`);

    // The guest's traffic out is translated to the EIP: the internet sees it as the source.
    const listener = await startUdpListener(internet, 9999);
    await sendUdp(web, gatewayIP, 9999, 'from-web');
    await waitFor(() => listener.received().some((l) => l === `${address} from-web`), {
      what: 'the internet to receive from-web',
      describe: () => listener.received().join('\n'),
    });
    expect(listener.received().every((l) => l.startsWith(`${address} `))).toBe(true);

    // Re-bound to db: the same address now answers from db.
    await bind('db');
    await waitFor(async () => (await tcpRequest(internet, address, 8080)) === 'db', {
      what: 'the EIP to answer from db',
    });
    await sendUdp(db, gatewayIP, 9999, 'from-db');
    await waitFor(() => listener.received().includes(`${address} from-db`), {
      what: 'the internet to receive from-db from the EIP',
      describe: () => listener.received().join('\n'),
    });

    // Unbound: nothing answers at the address.
    await bind(undefined);
    await waitFor(
      async () => (await eip.nb(['--bare', '--columns=_uuid', 'list', 'NAT'])).trim() === '',
      {
        what: 'the NAT row to go',
      },
    );
    expect(await ping(internet, address)).toBe(false);
    expect(await tcpRequest(internet, address, 8080)).toBeUndefined();
  });

  it('holds TCP to its bandwidth limit in each direction, and frees it when the limit goes', async () => {
    const web = guests.find((g) => g.name === 'web');
    if (!web) throw new Error('the web guest is not running');
    await bind('web');
    await readyForGeneration();
    const address = (await cluster.read(eipRef('pub'))).status?.address as string;
    await reachable(address);
    let port = 5000;
    const both = async () => ({
      in: (await measureTcp(internet, web, address, ++port)).mbps,
      out: (await measureTcp(web, internet, gatewayIP, ++port)).mbps,
    });
    const free = await both();
    figures.unlimitedIn = free.in;
    figures.unlimitedOut = free.out;
    const limit = 20;
    // The test means something only if the datapath runs well above the limit.
    expect(Math.min(free.in, free.out)).toBeGreaterThan(3 * limit);

    await bind('web', limit);
    await readyForGeneration();
    expect(
      (await eip.nb(['--bare', '--columns=direction', 'list', 'QoS']))
        .split('\n')
        .filter(Boolean)
        .sort(),
    ).toEqual(['from-lport', 'to-lport']);
    const limited = await both();
    figures.limitedIn = limited.in;
    figures.limitedOut = limited.out;
    for (const rate of [limited.in, limited.out]) {
      expect(rate).toBeGreaterThanOrEqual(0.5 * limit);
      expect(rate).toBeLessThanOrEqual(1.25 * limit);
    }

    await bind('web');
    await readyForGeneration();
    expect((await eip.nb(['--bare', '--columns=_uuid', 'list', 'QoS'])).trim()).toBe('');
    const again = await both();
    expect(Math.min(again.in, again.out)).toBeGreaterThan(3 * limit);
  });
});
