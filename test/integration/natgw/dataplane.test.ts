// A NATGateway carries real packets: OVN with its data plane (Open vSwitch userspace datapath,
// ovn-controller), the internet namespace on the provider bridge holding the pool's gateway,
// and guests plugged in as NetworkInterfaces, none with an EIP of its own. A guest of a Subnet
// in an SNAT rule reaches the internet, which sees the EIP as the source; a DNAT rule forwards
// an EIP's port to a guest's; a guest of a Subnet in no SNAT rule does not get out; removing
// the rules (and the EIP's binding) stops both.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Guest } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { startTcpServer, tcpRequest } from '../vpc/dataplane-fixture.ts';
import { doc, eipApi, eipRef, useEipOperator, vpcApi } from '../eip/fixture.ts';
import {
  innerInterface,
  internetPool,
  natGateway,
  nicGuest,
  plugInternet,
  startPeerEcho,
  webSecurityGroup,
} from '../eip/internet.ts';

const chassis = 'kcloud-natgw-dp';
const cluster = useTestCluster('natgw-dp');
const eip = useEipOperator(cluster, { dataPlane: true, chassis }, [chassis]);
const guests: Guest[] = [];
let internet: Guest;
const echoPort = 9000;
const gwRef = { apiVersion: vpcApi, kind: 'NATGateway', name: 'gw' };

const applyNatGateway = (rules: boolean) => cluster.apply(natGateway(rules));

/** Waits until the NATGateway is Ready for its current generation. */
const readyForGeneration = () =>
  waitFor(
    async () => {
      const o = await cluster.read(gwRef);
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === o.metadata?.generation;
    },
    { what: 'NATGateway gw Ready for its generation' },
  );

beforeAll(async () => {
  const pool = `${cluster.namespace}-pool`;
  internet = await plugInternet(eip);
  guests.push(internet);
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, internetPool),
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'Subnet', 'inner', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'Subnet', 'stranger', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.2.0/24' }),
      webSecurityGroup,
      innerInterface,
      doc(vpcApi, 'NetworkInterface', 'stranger', { subnetRef: { name: 'stranger' } }),
      ...['out', 'fwd'].map((n) =>
        doc(eipApi, 'EIP', n, {
          poolRef: { name: pool },
          binding: { natGatewayRef: { name: 'gw' } },
        }),
      ),
    ].join('---\n'),
  );
  await applyNatGateway(true);
});

afterAll(async () => {
  for (const g of guests.splice(0)) await g.close().catch(() => undefined);
});

describe('a NATGateway on the data plane', () => {
  it('takes a Subnet out through SNAT with the EIP as source, forwards an EIP port in, and keeps another Subnet in', async () => {
    const inner = await nicGuest(cluster, eip, 'inner');
    guests.push(inner);
    const stranger = await nicGuest(cluster, eip, 'stranger');
    guests.push(stranger);
    await startPeerEcho(internet, echoPort);
    await startTcpServer(inner, 80, 'inner');
    const out = (await cluster.waitForCondition(eipRef('out'), 'Ready')).status?.address as string;
    const fwd = (await cluster.waitForCondition(eipRef('fwd'), 'Ready')).status?.address as string;
    await readyForGeneration();

    // SNAT: the internet answers with the source address it saw, which is the EIP.
    const seen = await waitFor(() => tcpRequest(inner, internetPool.gatewayIP, echoPort), {
      what: 'the inner guest to reach the internet through SNAT',
    });
    expect(seen.trim()).toBe(out);

    // DNAT: the EIP's port 8080 is the inner guest's port 80.
    const answer = await waitFor(() => tcpRequest(internet, fwd, 8080), {
      what: 'the port forward fwd:8080 to answer from the inner guest',
    });
    expect(answer.trim()).toBe('inner');
    // Only the forwarded port: 80 of the EIP is nobody's.
    expect(await tcpRequest(internet, fwd, 80)).toBeUndefined();

    // A Subnet in no SNAT rule does not get out (its private source has no way back).
    expect(await tcpRequest(stranger, internetPool.gatewayIP, echoPort, 3_000)).toBeUndefined();
  });

  it('stops both at once when the rules go', async () => {
    const inner = guests.find((g) => g.name === 'inner');
    if (!inner) throw new Error('the inner guest is not running');
    const fwd = (await cluster.read(eipRef('fwd'))).status?.address as string;
    await applyNatGateway(false);
    await readyForGeneration();
    expect((await eip.nb(['--bare', '--columns=_uuid', 'list', 'NAT'])).trim()).toBe('');
    expect((await eip.nb(['--bare', '--columns=_uuid', 'list', 'Load_Balancer'])).trim()).toBe('');
    expect(await tcpRequest(inner, internetPool.gatewayIP, echoPort, 3_000)).toBeUndefined();
    expect(await tcpRequest(internet, fwd, 8080, 3_000)).toBeUndefined();
  });
});
