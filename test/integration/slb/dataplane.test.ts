// A LoadBalancer carries real packets: OVN with its data plane (Open vSwitch userspace datapath,
// ovn-controller), three backend guests and a client guest in another Subnet of the VPC, each a
// network namespace plugged in as a NetworkInterface. Connections to the VIP spread over the
// three members; a member whose server stops is found Offline by OVN's health check (read into
// status) and gets no new connection; once its server is back it is Online and gets them again.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Guest } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { untilListening } from '../vpc/dataplane-fixture.ts';
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
let vip = '';

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

async function spread(n: number): Promise<Record<string, number>> {
  const r = await client.exec([process.execPath, '-e', clientScript, vip, '80', String(n)], {
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
async function health(): Promise<Record<string, string>> {
  const o = await cluster.read(lbRef('lb'));
  const members =
    (o.status as { members?: { target: string; health: string }[] } | undefined)?.members ?? [];
  return Object.fromEntries(
    members.map((m) => [m.target.replace('NetworkInterface/', ''), m.health]),
  );
}

const waitHealth = (want: Record<string, string>) => {
  let last = {};
  return waitFor(
    async () => {
      last = await health();
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
    ].join('---\n'),
  );
  for (const b of backends) await nicGuest(b);
  client = await nicGuest('client');
  for (const b of backends) await startServer(b);
  vip = (await readyForGeneration(cluster, 'lb')).vip ?? '';
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
