// The outside of an EIP pool on the real data plane: the provider bridge br-ex mapped to the
// pool's physnet, a network namespace "internet" on it holding the pool's gateway address, and
// guests (namespaces) plugged in as NetworkInterfaces, as hosts plug VMs.
import { addProviderNetwork, startGuest, type Guest } from '../../../hack/ovn/index.ts';
import { waitFor, type TestCluster } from '../../harness/index.ts';
import { untilListening } from '../vpc/dataplane-fixture.ts';
import { doc, nicRef, vpcApi, type EipFixture } from './fixture.ts';

/** The pool the internet namespace is the gateway of. */
export const internetPool = {
  cidrBlock: '198.51.100.0/26',
  gatewayIP: '198.51.100.1',
  allocatableRanges: ['198.51.100.10-198.51.100.40'],
  providerNetwork: 'physnet1',
};

/** SecurityGroup web of VPC v1: TCP 80 in from anywhere, what the guests serve on. */
export const webSecurityGroup = doc(vpcApi, 'SecurityGroup', 'web', {
  vpcRef: { name: 'v1' },
  rules: [
    {
      name: 'http',
      direction: 'Ingress',
      protocol: 'TCP',
      ports: { from: 80, to: 80 },
      remoteCIDR: '0.0.0.0/0',
    },
  ],
});

/** NetworkInterface inner: 10.0.1.10 in Subnet inner, in SecurityGroup web. */
export const innerInterface = doc(vpcApi, 'NetworkInterface', 'inner', {
  subnetRef: { name: 'inner' },
  ipAddress: '10.0.1.10',
  securityGroupRefs: [{ name: 'web' }],
});

/**
 * NATGateway gw of VPC v1: Subnet inner out through EIP out (SNAT), and port 8080 of EIP fwd
 * forwarded to port 80 of 10.0.1.10, the inner interface (DNAT); no rules at all with false.
 */
export const natGateway = (rules = true) =>
  doc(vpcApi, 'NATGateway', 'gw', {
    vpcRef: { name: 'v1' },
    ...(rules
      ? {
          snatRules: [{ name: 'inner', subnetRef: { name: 'inner' }, eipRef: { name: 'out' } }],
          dnatRules: [
            {
              name: 'web',
              eipRef: { name: 'fwd' },
              protocol: 'TCP',
              externalPort: 8080,
              internalIP: '10.0.1.10',
              internalPort: 80,
            },
          ],
        }
      : {}),
  });

/** Adds br-ex (physnet1) to the chassis and plugs the internet namespace into it. */
export async function plugInternet(eip: EipFixture): Promise<Guest> {
  await addProviderNetwork(eip.layout(), { physnet: internetPool.providerNetwork });
  return startGuest(eip.layout(), {
    name: 'internet',
    ifaceId: 'internet',
    mac: '0a:00:00:00:0e:01',
    address: `${internetPool.gatewayIP}/26`,
    bridge: 'br-ex',
  });
}

/** A guest plugged in as the NetworkInterface's port, once ovn-controller reports it up. */
export async function nicGuest(
  cluster: TestCluster,
  eip: EipFixture,
  name: string,
): Promise<Guest> {
  const s = (await cluster.waitForCondition(nicRef(name), 'Ready')).status ?? {};
  const g = await startGuest(eip.layout(), {
    name,
    ifaceId: s.portName as string,
    mac: s.macAddress as string,
    address: `${s.ipAddress as string}/${String(s.prefixLength)}`,
    gateway: s.gatewayIP as string,
  });
  try {
    await waitFor(
      async () =>
        (await eip.nb(['get', 'Logical_Switch_Port', s.portName as string, 'up'])).trim() ===
        'true',
      { what: `the port of ${name} up` },
    );
  } catch (err) {
    await g.close().catch(() => undefined);
    throw err;
  }
  return g;
}

/** Answers every TCP connection with the address it came from: what the far side sees. */
const peerEchoScript = `
const [port] = process.argv.slice(1);
require('node:net')
  .createServer((s) => { s.on('error', () => {}); s.end(s.remoteAddress + '\\n'); })
  .listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

/** Starts a TCP server in the guest that tells each client the source address it saw. */
export async function startPeerEcho(g: Guest, port: number): Promise<void> {
  const child = g.spawn([process.execPath, '-e', peerEchoScript, String(port)]);
  await untilListening(child, `the peer echo in ${g.name}`);
}
