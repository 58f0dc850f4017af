// Real packets between two tenants' VPCs (two namespaces, each with its own manager, on one
// OVN): nothing passes until the second tenant accepts the peering, ping and TCP pass once it
// has, SecurityGroups still decide what gets in, and nothing passes again once either tenant
// withdraws (deletes its VPCPeering), with no peering row left in OVN.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor, type TestCluster } from '../../../harness/index.ts';
import {
  doc,
  ping,
  ref,
  startTcpServer,
  tcpRequest,
  useVpcDataPlane,
  type NicGuest,
} from '../dataplane-fixture.ts';

const left = useTestCluster('vpc-dp-pcx');
const right = useTestCluster('vpc-dp-pcx-r');
const dp = useVpcDataPlane(left, { peerNamespaces: () => [right.namespace] });

const anywhere = '0.0.0.0/0';
const rules = [
  { name: 'icmp', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: anywhere },
  {
    name: 'tcp-8080',
    direction: 'Ingress',
    protocol: 'TCP',
    ports: { from: 8080, to: 8080 },
    remoteCIDR: anywhere,
  },
];

/** One tenant's VPC, Subnet, SecurityGroup and NetworkInterface. */
const tenantDocs = (vpc: string, octet: number) =>
  [
    doc('VPC', vpc, { cidrBlocks: [`10.${String(octet)}.0.0/16`] }),
    doc('Subnet', `${vpc}-a`, { vpcRef: { name: vpc }, cidrBlock: `10.${String(octet)}.1.0/24` }),
    doc('SecurityGroup', `${vpc}-open`, { vpcRef: { name: vpc }, rules }),
    doc('NetworkInterface', `${vpc}-1`, {
      subnetRef: { name: `${vpc}-a` },
      securityGroupRefs: [{ name: `${vpc}-open` }],
    }),
  ].join('---\n');

const request = () =>
  doc('VPCPeering', 'to-right', {
    vpcRef: { name: 'left' },
    peerVPC: { name: 'right', namespace: right.namespace },
  });
const acceptance = () =>
  doc('VPCPeering', 'from-left', {
    vpcRef: { name: 'right' },
    peerVPC: { name: 'left', namespace: left.namespace },
  });

/** Waits until the VPCPeering's Ready condition gives `reason`. */
const readyReason = (cluster: TestCluster, name: string, reason: string) =>
  waitFor(
    async () => {
      const o = await cluster.read(ref('VPCPeering', name));
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.reason === reason ? o : undefined;
    },
    { what: `VPCPeering ${name} Ready with reason ${reason}` },
  );

/** The peering rows in OVN: router ports and static routes of any VPCPeering. */
async function peeringRows(): Promise<string> {
  const find = (table: string) =>
    dp.nb(['--bare', '--columns=_uuid', 'find', table, 'external_ids:"kcloud.io/kind"=VPCPeering']);
  return ((await find('Logical_Router_Port')) + (await find('Logical_Router_Static_Route'))).trim();
}

const logicalFlows = async () =>
  (await dp.sb(['--bare', '--columns=_uuid', 'list', 'Logical_Flow'])).split('\n').filter(Boolean)
    .length;

/** The TTL and round-trip time of one echo reply, if one comes. */
async function echo(from: NicGuest, ip: string): Promise<{ ttl: number; ms: number } | undefined> {
  const r = await from.exec(['ping', '-n', '-c', '1', '-W', '1', ip], { timeoutMs: 10_000 });
  const m = /ttl=(\d+) time=([\d.]+)/.exec(r.stdout);
  return r.code === 0 && m ? { ttl: Number(m[1]), ms: Number(m[2]) } : undefined;
}

const reachable = (from: NicGuest, ip: string) =>
  waitFor(() => ping(from, ip), { what: `${from.name} to reach ${ip}`, timeoutMs: 20_000 });
const unreachable = (from: NicGuest, ip: string) =>
  waitFor(async () => !(await ping(from, ip)), {
    what: `${from.name} to stop reaching ${ip}`,
    timeoutMs: 20_000,
  });

describe('a VPCPeering between two tenants', () => {
  let l: NicGuest;
  let r: NicGuest;
  let flowsBefore = 0;

  it('starts a guest in each tenant’s VPC', async () => {
    await dp.tenant(right);
    await left.apply(tenantDocs('left', 10));
    await right.apply(tenantDocs('right', 20));
    [l, r] = await Promise.all([dp.guest('left-1'), dp.guest('right-1', { cluster: right })]);
    await Promise.all([
      startTcpServer(l, 8080, 'left-1'),
      startTcpServer(r, 8080, 'right-1'),
      // A port the SecurityGroup does not open.
      startTcpServer(r, 9090, 'right-1:9090'),
    ]);
    await reachable(l, l.nic.gatewayIP);
    expect(await tcpRequest(r, '127.0.0.1', 9090)).toBe('right-1:9090');
  });

  it('carries nothing while the other tenant has not accepted', async () => {
    flowsBefore = await logicalFlows();
    await left.apply(request());
    const waiting = await readyReason(left, 'to-right', 'WaitingForAcceptance');
    expect(waiting.status?.phase).toBe('PendingAcceptance');
    expect(await peeringRows()).toBe('');
    expect(await ping(l, r.nic.ipAddress)).toBe(false);
    expect(await tcpRequest(l, r.nic.ipAddress, 8080)).toBeUndefined();
  });

  it('carries ping and TCP once accepted, and the SecurityGroups still decide', async () => {
    await right.apply(acceptance());
    const [mine, theirs] = await Promise.all([
      left.waitForCondition(ref('VPCPeering', 'to-right'), 'Ready'),
      right.waitForCondition(ref('VPCPeering', 'from-left'), 'Ready'),
    ]);
    expect(theirs.status?.acceptedBy).toBe(`${left.namespace}/to-right`);
    expect(mine.status?.acceptedBy).toBe(`${right.namespace}/from-left`);
    expect([mine.status?.phase, theirs.status?.phase]).toEqual(['Active', 'Active']);
    await reachable(l, r.nic.ipAddress);
    await reachable(r, l.nic.ipAddress);
    // Two routers crossed each way: the reply left with 64 and arrived with 62.
    const across = await echo(l, r.nic.ipAddress);
    expect(across?.ttl).toBe(62);
    expect(await tcpRequest(l, r.nic.ipAddress, 8080)).toBe('right-1');
    expect(await tcpRequest(r, l.nic.ipAddress, 8080)).toBe('left-1');
    // Routing is open; the firewall is not: 9090 is in no rule of right-1's group.
    expect(await tcpRequest(l, r.nic.ipAddress, 9090)).toBeUndefined();
    const within = await echo(l, l.nic.gatewayIP);
    console.log(
      `peering: ${String((await logicalFlows()) - flowsBefore)} logical flows added; ` +
        `echo across the peering ${String(across?.ms)} ms, to the own gateway ${String(within?.ms)} ms`,
    );
  });

  it('stops when the accepting tenant withdraws, leaving nothing in OVN', async () => {
    await right.objects.delete({
      apiVersion: 'vpc.kcloud.io/v1alpha1',
      kind: 'VPCPeering',
      metadata: { name: 'from-left', namespace: right.namespace },
    });
    await right.waitForGone(ref('VPCPeering', 'from-left'));
    await readyReason(left, 'to-right', 'WaitingForAcceptance');
    await unreachable(l, r.nic.ipAddress);
    expect(await tcpRequest(l, r.nic.ipAddress, 8080)).toBeUndefined();
    expect(await peeringRows()).toBe('');
  });

  it('carries again once accepted again, and stops when the requesting tenant withdraws', async () => {
    await right.apply(acceptance());
    await reachable(l, r.nic.ipAddress);
    await left.objects.delete({
      apiVersion: 'vpc.kcloud.io/v1alpha1',
      kind: 'VPCPeering',
      metadata: { name: 'to-right', namespace: left.namespace },
    });
    await left.waitForGone(ref('VPCPeering', 'to-right'));
    await readyReason(right, 'from-left', 'WaitingForAcceptance');
    await unreachable(r, l.nic.ipAddress);
    expect(await tcpRequest(r, l.nic.ipAddress, 8080)).toBeUndefined();
    expect(await peeringRows()).toBe('');
  });
});
