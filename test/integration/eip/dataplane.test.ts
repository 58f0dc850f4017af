// EIPs carry real packets: OVN with its data plane (Open vSwitch userspace datapath,
// ovn-controller), a provider bridge br-ex mapped to the pool's physnet, a network namespace
// "internet" on br-ex holding the pool's gateway address, and guests (namespaces) plugged in as
// NetworkInterfaces. From the internet an EIP reaches the interface it is bound to (ping, TCP),
// the interface's traffic out arrives from the EIP, a re-binding moves it all to the other
// interface, and unbinding makes the address unreachable. The NAT is distributed (answered with
// the EIP's own MAC), which works on this userspace datapath.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addProviderNetwork, startGuest, type Guest } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import {
  ping,
  sendUdp,
  startTcpServer,
  startUdpListener,
  tcpRequest,
} from '../vpc/dataplane-fixture.ts';
import { doc, eipApi, eipRef, nicRef, useEipOperator, vpcApi } from './fixture.ts';

const chassis = 'kcloud-eip-dp';
const cluster = useTestCluster('eip-dp');
const eip = useEipOperator(cluster, { dataPlane: true, chassis }, [chassis]);
const guests: Guest[] = [];
let pool = '';
let internet: Guest;
const gatewayIP = '198.51.100.1';

/** A guest plugged in as the NetworkInterface's port, once ovn-controller reports it up. */
async function guestOf(name: string): Promise<Guest> {
  const s = (await cluster.waitForCondition(nicRef(name), 'Ready')).status ?? {};
  const g = await startGuest(eip.layout(), {
    name,
    ifaceId: s.portName as string,
    mac: s.macAddress as string,
    address: `${s.ipAddress as string}/${String(s.prefixLength)}`,
    gateway: s.gatewayIP as string,
  });
  guests.push(g);
  await waitFor(
    async () =>
      (await eip.nb(['get', 'Logical_Switch_Port', s.portName as string, 'up'])).trim() === 'true',
    { what: `the port of ${name} up` },
  );
  return g;
}

const bind = (nic: string | undefined) =>
  cluster.apply(
    doc(eipApi, 'EIP', 'pub', {
      poolRef: { name: pool },
      ...(nic ? { binding: { networkInterfaceRef: { name: nic } } } : {}),
    }),
  );

/** Whether the internet reaches `address` by ping within a while (the flows take a moment). */
const reachable = (address: string) =>
  waitFor(() => ping(internet, address), { what: `a ping from the internet to ${address}` });

beforeAll(async () => {
  pool = `${cluster.namespace}-pool`;
  await addProviderNetwork(eip.layout(), { physnet: 'physnet1' });
  internet = await startGuest(eip.layout(), {
    name: 'internet',
    ifaceId: 'internet',
    mac: '0a:00:00:00:0e:01',
    address: `${gatewayIP}/26`,
    bridge: 'br-ex',
  });
  guests.push(internet);
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, {
        cidrBlock: '198.51.100.0/26',
        gatewayIP,
        allocatableRanges: ['198.51.100.10-198.51.100.40'],
        providerNetwork: 'physnet1',
      }),
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
});
