// An EIP bound to a LoadBalancer, on the real data plane: the EIP operator gives the VPC router
// its gateway port on the pool's network, the slb operator adds the EIP's address to each
// listener's row; from the internet namespace the EIP's port reaches the members, and once the
// EIP is unbound it reaches nothing and the LoadBalancer's status no longer shows it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Guest } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { internetPool, plugInternet } from '../eip/internet.ts';
import { startTcpServer } from '../vpc/dataplane-fixture.ts';
import {
  doc,
  lbRef,
  nicGuest as nicGuestOf,
  readyForGeneration,
  slbApi,
  useSlbOperator,
  vpcApi,
} from './fixture.ts';

const eipApi = 'eip.kcloud.io/v1alpha1';
const chassis = 'kcloud-slb-eip';
const cluster = useTestCluster('slb-eip');
const ovn = useSlbOperator(cluster, { dataPlane: true, chassis }, [chassis]);
const guests: Guest[] = [];
let internet: Guest;
let pool = '';

/** Opens n connections one after the other; prints how many each answer got, as JSON. */
const clientScript = `
const [ip, port, n] = process.argv.slice(1);
const net = require('node:net');
const counts = {};
const one = () => new Promise((resolve) => {
  const s = net.connect({ host: ip, port: Number(port) });
  let data = '';
  const t = setTimeout(() => { s.destroy(); resolve('timeout'); }, 2000);
  s.on('data', (b) => { data += b; });
  s.on('end', () => { clearTimeout(t); resolve(data.trim()); });
  s.on('error', () => { clearTimeout(t); resolve('error'); });
});
(async () => {
  for (let i = 0; i < Number(n); i++) { const r = await one(); counts[r] = (counts[r] || 0) + 1; }
  console.log(JSON.stringify(counts));
})();
`;

async function fromInternet(ip: string, n: number): Promise<Record<string, number>> {
  const r = await internet.exec([process.execPath, '-e', clientScript, ip, '80', String(n)], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`the client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number>;
}

const nicGuest = (name: string) => nicGuestOf(cluster, ovn, name, guests);

const bind = (binding: object | undefined) =>
  cluster.apply(
    doc(eipApi, 'EIP', 'pub', { poolRef: { name: pool }, ...(binding ? { binding } : {}) }),
  );

beforeAll(async () => {
  pool = `${cluster.namespace}-pool`;
  internet = await plugInternet({
    layout: () => ovn.layout(),
    nb: (args) => ovn.nb(args),
    restart: () => Promise.resolve(),
  });
  guests.push(internet);
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, internetPool),
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'Subnet', 'web', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'SecurityGroup', 'web', {
        vpcRef: { name: 'v1' },
        rules: [
          {
            name: 'app',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 8080, to: 8080 },
            remoteCIDR: '0.0.0.0/0',
          },
        ],
      }),
      ...['m1', 'm2'].map((m) =>
        doc(vpcApi, 'NetworkInterface', m, {
          subnetRef: { name: 'web' },
          securityGroupRefs: [{ name: 'web' }],
        }),
      ),
      doc(slbApi, 'LoadBalancer', 'lb', {
        subnetRef: { name: 'web' },
        listeners: [{ name: 'app', protocol: 'TCP', port: 80, backendPool: 'web' }],
        backendPools: [
          {
            name: 'web',
            members: ['m1', 'm2'].map((m) => ({ networkInterfaceRef: { name: m }, port: 8080 })),
          },
        ],
      }),
    ].join('---\n'),
  );
  for (const m of ['m1', 'm2']) await startTcpServer(await nicGuest(m), 8080, m);
  await bind({ loadBalancerRef: { name: 'lb' } });
});

afterAll(async () => {
  for (const g of guests.splice(0)) await g.close().catch(() => undefined);
});

describe('an EIP bound to a LoadBalancer', () => {
  it('reaches the members from the internet, and nothing once unbound', async () => {
    const eip = await cluster.waitForCondition(
      { apiVersion: eipApi, kind: 'EIP', name: 'pub' },
      'Ready',
    );
    const address = eip.status?.address as string;
    expect(eip.status?.boundTo).toBe('LoadBalancer/lb');
    const status = await waitFor(
      async () => {
        const s = await readyForGeneration(cluster, 'lb');
        return s.eip === address ? s : undefined;
      },
      { what: 'the LoadBalancer to show its EIP' },
    );
    expect(status.eip).toBe(address);
    // 60 connections from the internet, each to one of 2 members by hash: a member missing
    // from them has probability 2 * (1/2)^60; none may fail.
    const counts = await waitFor(
      async () => {
        const c = await fromInternet(address, 60);
        return c.m1 !== undefined && c.m2 !== undefined ? c : undefined;
      },
      { what: 'the EIP to reach both members' },
    );
    expect(Object.keys(counts).sort()).toEqual(['m1', 'm2']);

    await bind(undefined);
    await waitFor(async () => (await cluster.read(lbRef('lb'))).status?.eip === undefined, {
      what: 'the LoadBalancer to let go of its EIP',
    });
    const rows = await ovn.nb([
      '--data=bare',
      '--no-headings',
      '--columns=vips',
      'list',
      'Load_Balancer',
    ]);
    expect(rows).not.toContain(address);
    expect(await fromInternet(address, 5)).toEqual({ timeout: 5 });
  });
});
