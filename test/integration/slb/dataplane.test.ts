// A LoadBalancer carries real packets: OVN with its data plane (Open vSwitch userspace datapath,
// ovn-controller), three backend guests, a client guest in another Subnet of the VPC and one in
// the VIP's own Subnet, each a network namespace plugged in as a NetworkInterface. Connections
// to the VIP spread over the three members; a member whose server stops is found Offline by
// OVN's health check (read into status) and gets no new connection; once its server is back it
// is Online and gets them again. In the VIP's own Subnet the router answers ARP for the VIP
// (the interface holding it only reserves it), and no other interface can take the address,
// before and after a restart of the manager.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Guest } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { untilListening } from '../vpc/dataplane-fixture.ts';
import { refusalReason } from '../vpc/operator-fixture.ts';
import {
  doc,
  lbRef,
  nicGuest as nicGuestOf,
  readyForGeneration,
  slbApi,
  useSlbOperator,
  vpcApi,
} from './fixture.ts';

const chassis = 'kcloud-slb-dp';
const cluster = useTestCluster('slb-dp');
const ovn = useSlbOperator(cluster, { dataPlane: true, chassis });
const guests: Guest[] = [];
const servers = new Map<string, ChildProcess>();
const backends = ['b1', 'b2', 'b3'];
let client: Guest;
let neighbour: Guest;
let vip = '';
let weightedVip = '';

/** Answers each connection with the server's name. */
const serverScript = `
const [port, name] = process.argv.slice(1);
require('node:net')
  .createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); })
  .listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

/** Opens n connections one after the other; prints how many each answer got, as JSON. */
const clientScript = `
const [ip, port, n] = process.argv.slice(1);
const net = require('node:net');
const counts = {};
const one = () => new Promise((resolve) => {
  const s = net.connect({ host: ip, port: Number(port) });
  let data = '';
  const t = setTimeout(() => { s.destroy(); resolve('timeout'); }, 3000);
  s.on('data', (b) => { data += b; });
  s.on('end', () => { clearTimeout(t); resolve(data.trim()); });
  s.on('error', () => { clearTimeout(t); resolve('error'); });
});
(async () => {
  for (let i = 0; i < Number(n); i++) { const r = await one(); counts[r] = (counts[r] || 0) + 1; }
  console.log(JSON.stringify(counts));
})();
`;

async function spread(n: number, from = client, to = vip): Promise<Record<string, number>> {
  const r = await from.exec([process.execPath, '-e', clientScript, to, '80', String(n)], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`the client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

async function startServer(name: string): Promise<void> {
  const g = guests.find((x) => x.name === name);
  if (!g) throw new Error(`no guest ${name}`);
  const child = g.spawn([process.execPath, '-e', serverScript, '8080', name]);
  await untilListening(child, `the server in ${name}`);
  servers.set(name, child);
}

async function stopServer(name: string): Promise<void> {
  const child = servers.get(name);
  if (!child?.pid) throw new Error(`no server running in ${name}`);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  await exited;
  servers.delete(name);
}

const nicGuest = (name: string) => nicGuestOf(cluster, ovn, name, guests);

/** The members' health in status, by target. */
async function health(lb = 'lb'): Promise<Record<string, string>> {
  const o = await cluster.read(lbRef(lb));
  const members =
    (o.status as { members?: { target: string; health: string }[] } | undefined)?.members ?? [];
  return Object.fromEntries(
    members.map((m) => [m.target.replace('NetworkInterface/', ''), m.health]),
  );
}

const waitHealth = (want: Record<string, string>, lb = 'lb') => {
  let last = {};
  return waitFor(
    async () => {
      last = await health(lb);
      return JSON.stringify(last) === JSON.stringify(want);
    },
    {
      what: `member health ${JSON.stringify(want)}`,
      describe: () => JSON.stringify(last),
      timeoutMs: 60_000,
    },
  );
};

beforeAll(async () => {
  await cluster.apply(
    [
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'Subnet', 'web', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'Subnet', 'clients', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.2.0/24' }),
      doc(vpcApi, 'SecurityGroup', 'web', {
        vpcRef: { name: 'v1' },
        rules: [
          {
            name: 'app',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 8080, to: 8080 },
            remoteCIDR: '10.0.0.0/16',
          },
        ],
      }),
      ...backends.map((b) =>
        doc(vpcApi, 'NetworkInterface', b, {
          subnetRef: { name: 'web' },
          securityGroupRefs: [{ name: 'web' }],
        }),
      ),
      doc(vpcApi, 'NetworkInterface', 'client', { subnetRef: { name: 'clients' } }),
      doc(vpcApi, 'NetworkInterface', 'neighbour', { subnetRef: { name: 'web' } }),
      doc(slbApi, 'LoadBalancer', 'lb', {
        subnetRef: { name: 'web' },
        listeners: [{ name: 'app', protocol: 'TCP', port: 80, backendPool: 'web' }],
        backendPools: [
          {
            name: 'web',
            members: backends.map((b) => ({ networkInterfaceRef: { name: b }, port: 8080 })),
            healthCheck: {
              intervalSeconds: 1,
              timeoutSeconds: 1,
              healthyThreshold: 1,
              unhealthyThreshold: 2,
            },
          },
        ],
      }),
      doc(slbApi, 'LoadBalancer', 'weighted', {
        subnetRef: { name: 'web' },
        listeners: [{ name: 'app', protocol: 'TCP', port: 80, backendPool: 'web' }],
        backendPools: [
          {
            name: 'web',
            members: backends.map((b, i) => ({
              networkInterfaceRef: { name: b },
              port: 8080,
              weight: (i + 1) * 10,
            })),
            // Checked too: OVN's service monitor watches a backend the list names twice once.
            healthCheck: { intervalSeconds: 1, timeoutSeconds: 1 },
          },
        ],
      }),
    ].join('---\n'),
  );
  for (const b of backends) await nicGuest(b);
  client = await nicGuest('client');
  neighbour = await nicGuest('neighbour');
  for (const b of backends) await startServer(b);
  vip = (await readyForGeneration(cluster, 'lb')).vip ?? '';
  weightedVip = (await readyForGeneration(cluster, 'weighted')).vip ?? '';
});

afterAll(async () => {
  for (const g of guests.splice(0)) await g.close().catch(() => undefined);
});

describe('a LoadBalancer on the data plane', () => {
  it('spreads connections to the VIP over its three members', async () => {
    await waitHealth({ b1: 'Online', b2: 'Online', b3: 'Online' });
    // Each connection has a new source port, so OVN's 5-tuple hash puts it on a member
    // independently, each with p = 1/3: a member's count of n = 300 is Binomial(300, 1/3),
    // mean 100, standard deviation sqrt(300 * 1/3 * 2/3) = 8.2. OVS maps hashes to buckets in
    // slots (e.g. 22/21/21 of 64), which moves the mean by at most 3. Allowed: 100 ± 41, five
    // standard deviations; a correct spread fails it with probability below 1e-6.
    const n = 300;
    const counts = await spread(n);
    expect(Object.keys(counts).sort()).toEqual(backends);
    for (const b of backends) {
      expect(counts[b]).toBeGreaterThanOrEqual(59);
      expect(counts[b]).toBeLessThanOrEqual(141);
    }
  });

  it('spreads connections by weight: members of weight 10, 20 and 30 get 1, 2 and 3 shares', async () => {
    // In NB: the VIP's list names b1 once, b2 twice and b3 three times.
    const vips = (
      await ovn.nb([
        '--bare',
        '--columns=vips',
        'find',
        'Load_Balancer',
        'external_ids:"kcloud.io/name"=weighted',
      ])
    ).trim();
    // One VIP: `vip:port=backend,backend,…` (quoted or not, by the ovn-nbctl).
    const entries = /=(\S+)/.exec(vips)?.[1]?.replace(/"/g, '').split(',') ?? [];
    const ipOf = async (b: string) =>
      (
        (await cluster.read({ apiVersion: vpcApi, kind: 'NetworkInterface', name: b })).status as
          { ipAddress?: string } | undefined
      )?.ipAddress;
    const times: number[] = [];
    for (const b of backends) {
      const address = `${(await ipOf(b)) ?? ''}:8080`;
      times.push(entries.filter((e) => e === address).length);
    }
    expect({ vips, times }).toEqual({ vips, times: [1, 2, 3] });
    await waitHealth({ b1: 'Online', b2: 'Online', b3: 'Online' }, 'weighted');
    // n = 600, each connection on a member independently with p = 1/6, 2/6, 3/6: means 100, 200,
    // 300, standard deviations 9.1, 11.5 and 12.2; the slots OVS maps hashes to (6 buckets in
    // 64) move a mean by at most 10. Allowed: five standard deviations and 10 either way. Even
    // weights (200 each) fail it for b1 and b3. Measured in 5 runs: b1 109-132, b2 200-211,
    // b3 262-286 (the first backend gets a little more than its share), inside the bounds.
    const counts = await spread(600, client, weightedVip);
    expect(Object.keys(counts).sort()).toEqual(backends);
    expect(counts.b1).toBeGreaterThanOrEqual(44);
    expect(counts.b1).toBeLessThanOrEqual(156);
    expect(counts.b2).toBeGreaterThanOrEqual(132);
    expect(counts.b2).toBeLessThanOrEqual(268);
    expect(counts.b3).toBeGreaterThanOrEqual(228);
    expect(counts.b3).toBeLessThanOrEqual(372);
    console.log(`weights 10/20/30 over 600 connections: ${JSON.stringify(counts)}`);
  });

  it('marks a member whose server stops Offline and sends it nothing new, and takes it back once it recovers', async () => {
    await stopServer('b3');
    await waitHealth({ b1: 'Online', b2: 'Online', b3: 'Offline' });
    const status = await cluster.read(lbRef('lb'));
    expect((status.status as { listeners?: unknown[] }).listeners).toEqual([
      { name: 'app', members: 3, healthyMembers: 2 },
    ]);
    // With b3 still a member, 60 connections each had p = 1/3 of reaching it: none did, and none failed.
    const without = await spread(60);
    expect(Object.keys(without).sort()).toEqual(['b1', 'b2']);

    await startServer('b3');
    await waitHealth({ b1: 'Online', b2: 'Online', b3: 'Online' });
    // Back: of 60 connections, b3 gets none with probability (2/3)^60 < 1e-10.
    const back = await spread(60);
    expect(back.b3).toBeGreaterThan(0);
    expect(Object.keys(back).sort()).toEqual(backends);
  });
});

/** The VIP's interface: its OVN port's addresses as ovn-nbctl prints them, and its MAC. */
async function vipPort(): Promise<{ addresses: string; mac: string; ip: string }> {
  const nic = await cluster.read({ apiVersion: vpcApi, kind: 'NetworkInterface', name: 'lb-vip' });
  const s = nic.status as Record<string, string>;
  const addresses = (
    await ovn.nb(['get', 'Logical_Switch_Port', s.portName ?? '', 'addresses'])
  ).trim();
  return { addresses, mac: s.macAddress ?? '', ip: s.ipAddress ?? '' };
}

/** The MAC a guest's kernel resolved an address to (its neighbour table). */
async function resolvedMac(g: Guest, ip: string): Promise<string> {
  const r = await g.exec(['ip', '-4', 'neigh', 'show', ip]);
  return /lladdr ([0-9a-f:]+)/.exec(r.stdout)?.[1] ?? `none (${r.stdout.trim()})`;
}

describe('a LoadBalancer reached from its own Subnet', () => {
  it("is answered by the router, not by the VIP's interface, and spreads the neighbour's connections", async () => {
    await waitHealth({ b1: 'Online', b2: 'Online', b3: 'Online' });
    // Of 90 connections each reaching a member with p = 1/3, one member gets none with
    // probability below 3 * (2/3)^90 < 1e-15; every connection is answered.
    const counts = await spread(90, neighbour);
    expect(Object.keys(counts).sort()).toEqual(backends);
    // The address the neighbour's ARP got is the router's port on the Subnet.
    const web = await cluster.read({ apiVersion: vpcApi, kind: 'Subnet', name: 'web' });
    const routerMac = (
      await ovn.nb(['get', 'Logical_Router_Port', `kcloud-rtr-${web.metadata?.uid ?? ''}`, 'mac'])
    )
      .trim()
      .replaceAll('"', '');
    expect(await resolvedMac(neighbour, vip)).toBe(routerMac);
    const port = await vipPort();
    // The MAC alone: OVN has no ARP answer for the VIP on that port and routes nothing there.
    expect(port.addresses).toBe(`["${port.mac}"]`);
    expect(port.ip).toBe(vip);
  });

  it('is reached by a member itself (hairpin), which is answered by itself and the others', async () => {
    const b1 = guests.find((g) => g.name === 'b1');
    if (!b1) throw new Error('no guest b1');
    const counts = await spread(90, b1);
    expect(Object.keys(counts).sort()).toEqual(backends);
  });

  it('keeps the VIP reserved: an interface asking for it is refused, before and after a restart', async () => {
    const thief = (name: string) =>
      cluster.apply(
        doc(vpcApi, 'NetworkInterface', name, { subnetRef: { name: 'web' }, ipAddress: vip }),
      );
    await thief('thief-1');
    expect(await refusalReason(cluster, 'NetworkInterface', 'thief-1')).toBe('IPInUse');

    await ovn.restart();
    await thief('thief-2');
    expect(await refusalReason(cluster, 'NetworkInterface', 'thief-2')).toBe('IPInUse');
    expect(await refusalReason(cluster, 'NetworkInterface', 'thief-1')).toBe('IPInUse');
    const port = await vipPort();
    expect(port.addresses).toBe(`["${port.mac}"]`);
    expect((await readyForGeneration(cluster, 'lb')).vip).toBe(vip);
    const counts = await spread(60, neighbour);
    expect(Object.keys(counts).sort()).toEqual(backends);
  });
});

describe('a VIP interface that is not reserve-only', () => {
  it('is made reserve-only again by the LoadBalancer, as one made before the field existed would be', async () => {
    const edited = await cluster.kubectl([
      'patch',
      'networkinterface',
      'lb-vip',
      `--namespace=${cluster.namespace}`,
      '--type=merge',
      '-p',
      '{"spec":{"reserveOnly":false}}',
    ]);
    expect(edited.code).toBe(0);
    let last = '';
    await waitFor(
      async () => {
        const nic = (await cluster.read({
          apiVersion: vpcApi,
          kind: 'NetworkInterface',
          name: 'lb-vip',
        })) as { spec?: { reserveOnly?: boolean } };
        const port = await vipPort();
        last = `spec.reserveOnly ${String(nic.spec?.reserveOnly)}, port ${port.addresses}`;
        return nic.spec?.reserveOnly === true && port.addresses === `["${port.mac}"]`;
      },
      { what: 'the VIP interface reserve-only again', describe: () => last },
    );
    expect((await readyForGeneration(cluster, 'lb')).vip).toBe(vip);
    const counts = await spread(60, neighbour);
    expect(Object.keys(counts).sort()).toEqual(backends);
  });
});
