// LoadBalancers against a real API server and real OVN (the vpc and slb operators in one
// manager): the VIP and the health-check source are addresses of the Subnet held by
// NetworkInterfaces the LoadBalancer owns; each listener becomes one Load_Balancer row on the
// VPC's router and on every Subnet switch of the VPC, with exactly the backends, hashing,
// affinity and health check the spec says; an edit rewrites them; a member outside the VPC is
// refused with a reason and nothing is written; rows of a force-deleted LoadBalancer are swept;
// deleting leaves no row and no address held.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import {
  doc,
  lbRef,
  readyForGeneration,
  refusal,
  slbApi,
  useSlbOperator,
  vpcApi,
} from './fixture.ts';

const cluster = useTestCluster('slb-op');
const ovn = useSlbOperator(cluster);

/** Columns of the rows whose external_ids match, one row per line, sorted. */
async function find(table: string, match: string, columns: string): Promise<string[]> {
  const out = await ovn.nb([
    '--format=csv',
    '--data=bare',
    '--no-headings',
    `--columns=${columns}`,
    'find',
    table,
    match,
  ]);
  return out.split('\n').filter(Boolean).sort();
}
const rowsOf = (uid: string, columns: string) =>
  find('Load_Balancer', `external_ids:"kcloud.io/uid"="${uid}"`, columns);
const uidOf = async (name: string) => (await cluster.read(lbRef(name))).metadata?.uid ?? '';
const nic = async (name: string) =>
  (await cluster.waitForCondition({ apiVersion: vpcApi, kind: 'NetworkInterface', name }, 'Ready'))
    .status as { ipAddress: string; portName: string };
/** The load balancer uuids a router or switch holds. */
const held = async (table: string, name: string) =>
  (
    await ovn.nb([
      '--data=bare',
      '--no-headings',
      '--columns=load_balancer',
      'find',
      table,
      `name=${name}`,
    ])
  )
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .sort();

let router = '';
let switches: string[] = [];

beforeAll(async () => {
  await cluster.apply(
    [
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'VPC', 'v2', { cidrBlocks: ['10.9.0.0/16'] }),
      doc(vpcApi, 'Subnet', 's1', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'Subnet', 's2', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.2.0/24' }),
      doc(vpcApi, 'Subnet', 'o1', { vpcRef: { name: 'v2' }, cidrBlock: '10.9.1.0/24' }),
      doc(vpcApi, 'NetworkInterface', 'web1', { subnetRef: { name: 's1' } }),
      doc(vpcApi, 'NetworkInterface', 'web2', { subnetRef: { name: 's2' } }),
      doc(vpcApi, 'NetworkInterface', 'elsewhere', { subnetRef: { name: 'o1' } }),
    ].join('---\n'),
  );
  const vpc = await cluster.waitForCondition(
    { apiVersion: vpcApi, kind: 'VPC', name: 'v1' },
    'Ready',
  );
  router = vpc.status?.routerName as string;
  switches = [];
  for (const s of ['s1', 's2']) {
    const subnet = await cluster.waitForCondition(
      { apiVersion: vpcApi, kind: 'Subnet', name: s },
      'Ready',
    );
    switches.push(subnet.status?.switchName as string);
  }
});

const webSpec = (members: object[], extra: object = {}) => ({
  subnetRef: { name: 's1' },
  listeners: [
    { name: 'http', protocol: 'TCP', port: 80, backendPool: 'web' },
    {
      name: 'dns',
      protocol: 'UDP',
      port: 53,
      backendPool: 'dns',
      algorithm: 'SourceIPHash',
      sessionPersistence: { timeoutSeconds: 30 },
    },
  ],
  backendPools: [
    {
      name: 'web',
      members,
      healthCheck: {
        intervalSeconds: 2,
        timeoutSeconds: 1,
        healthyThreshold: 1,
        unhealthyThreshold: 2,
      },
    },
    { name: 'dns', members: [{ ip: '10.0.2.50', port: 5353 }] },
  ],
  ...extra,
});
const web = (drain2 = false) => [
  { networkInterfaceRef: { name: 'web1' }, port: 8080 },
  { networkInterfaceRef: { name: 'web2' }, port: 8080, drain: drain2 },
];

describe('LoadBalancer in OVN', () => {
  it('holds its VIP and probe source in the Subnet and writes one row per listener, exactly as meant', async () => {
    await cluster.apply(doc(slbApi, 'LoadBalancer', 'lb', webSpec(web(), { vip: '10.0.1.200' })));
    const status = await readyForGeneration(cluster, 'lb');
    expect(status.vip).toBe('10.0.1.200');
    const vipNic = await nic('lb-vip');
    expect(vipNic.ipAddress).toBe('10.0.1.200');
    const monitor = (await nic('lb-monitor')).ipAddress;
    expect(monitor).toMatch(/^10\.0\.1\.\d+$/);
    const w1 = await nic('web1');
    const w2 = await nic('web2');

    const uid = await uidOf('lb');
    expect(await rowsOf(uid, 'name,protocol,vips,selection_fields,options')).toEqual([
      `slb-${uid}-dns,udp,10.0.1.200:53=10.0.2.50:5353,ip_src,affinity_timeout=30`,
      `slb-${uid}-http,tcp,"10.0.1.200:80=${w1.ipAddress}:8080,${w2.ipAddress}:8080",,`,
    ]);
    const mappings = await ovn.nb(['get', 'Load_Balancer', `slb-${uid}-http`, 'ip_port_mappings']);
    expect(mappings.trim()).toBe(
      `{"${w1.ipAddress}"="${w1.portName}:${monitor}", "${w2.ipAddress}"="${w2.portName}:${monitor}"}`,
    );
    const checks = await ovn.nb([
      '--data=bare',
      '--no-headings',
      '--columns=vip,options',
      'list',
      'Load_Balancer_Health_Check',
    ]);
    expect(checks).toContain('10.0.1.200:80');
    expect(checks).toContain('failure_count=2 interval=2 success_count=1 timeout=1');

    // On the router and on both switches of the VPC, not on the other VPC's.
    const uuids = (await rowsOf(uid, '_uuid')).sort();
    expect(uuids).toHaveLength(2);
    for (const u of uuids) {
      expect(await held('Logical_Router', router)).toContain(u);
      for (const s of switches) expect(await held('Logical_Switch', s)).toContain(u);
    }
    const other = (
      await cluster.waitForCondition({ apiVersion: vpcApi, kind: 'Subnet', name: 'o1' }, 'Ready')
    ).status?.switchName as string;
    expect(await held('Logical_Switch', other)).toEqual([]);

    expect(status.listeners).toEqual([
      { name: 'http', members: 2, healthyMembers: expect.any(Number) },
      { name: 'dns', members: 1, healthyMembers: 1 },
    ]);
    expect(status.members?.map((m) => `${m.pool} ${m.target} ${m.address}`)).toEqual([
      `web NetworkInterface/web1 ${w1.ipAddress}:8080`,
      `web NetworkInterface/web2 ${w2.ipAddress}:8080`,
      'dns 10.0.2.50 10.0.2.50:5353',
    ]);
  });

  it('keeps its references when the VPC operator rewrites a switch, and a new Subnet gets the rows', async () => {
    const uid = await uidOf('lb');
    const uuids = await rowsOf(uid, '_uuid');
    await cluster.apply(
      doc(vpcApi, 'Subnet', 's2', {
        vpcRef: { name: 'v1' },
        cidrBlock: '10.0.2.0/24',
        dnsServers: ['10.0.0.53'],
      }),
    );
    await cluster.apply(
      doc(vpcApi, 'Subnet', 's3', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.3.0/24' }),
    );
    const s3 = (
      await cluster.waitForCondition({ apiVersion: vpcApi, kind: 'Subnet', name: 's3' }, 'Ready')
    ).status?.switchName as string;
    await waitFor(async () => (await held('Logical_Switch', s3)).length === 2, {
      what: 'the new Subnet holds the rows',
    });
    expect(await held('Logical_Switch', s3)).toEqual(uuids);
    for (const s of switches) expect(await held('Logical_Switch', s)).toEqual(uuids);
  });

  it('rewrites the rows on an edit: a drained member leaves the backends, a new port replaces the VIP key', async () => {
    const uid = await uidOf('lb');
    const w1 = await nic('web1');
    const spec = webSpec(web(true), { vip: '10.0.1.200' });
    spec.listeners[0] = { name: 'http', protocol: 'TCP', port: 8000, backendPool: 'web' };
    await cluster.apply(doc(slbApi, 'LoadBalancer', 'lb', spec));
    const status = await readyForGeneration(cluster, 'lb');
    expect(await rowsOf(uid, 'name,vips')).toContain(
      `slb-${uid}-http,10.0.1.200:8000=${w1.ipAddress}:8080`,
    );
    expect(status.members?.find((m) => m.target === 'NetworkInterface/web2')?.health).toBe(
      'Draining',
    );
    expect(status.listeners?.find((l) => l.name === 'http')?.members).toBe(1);
  });

  it('refuses a member outside the VPC with a reason and writes nothing', async () => {
    await cluster.apply(
      doc(slbApi, 'LoadBalancer', 'bad', {
        subnetRef: { name: 's1' },
        listeners: [{ name: 'http', protocol: 'TCP', port: 80, backendPool: 'p' }],
        backendPools: [
          { name: 'p', members: [{ networkInterfaceRef: { name: 'elsewhere' }, port: 80 }] },
        ],
      }),
    );
    expect(await refusal(cluster, 'bad', 'MemberOutsideVPC')).toContain(
      'member NetworkInterface/elsewhere is in VPC v2, not in VPC v1',
    );
    await cluster.apply(
      doc(slbApi, 'LoadBalancer', 'bad2', {
        subnetRef: { name: 's1' },
        listeners: [{ name: 'http', protocol: 'TCP', port: 80, backendPool: 'p' }],
        backendPools: [{ name: 'p', members: [{ ip: '192.168.1.1', port: 80 }] }],
      }),
    );
    expect(await refusal(cluster, 'bad2', 'MemberOutsideVPC')).toContain('192.168.1.1');
    expect(await rowsOf(await uidOf('bad'), '_uuid')).toEqual([]);
    expect(await rowsOf(await uidOf('bad2'), '_uuid')).toEqual([]);
    // Nothing was reserved for them either.
    const names = (
      await cluster.kubectl(['get', 'networkinterfaces', '-n', cluster.namespace, '-o', 'name'])
    ).stdout;
    expect(names).not.toContain('bad-vip');
    expect(names).not.toContain('bad2-vip');
    // Fixed, it works.
    await cluster.apply(
      doc(slbApi, 'LoadBalancer', 'bad2', {
        subnetRef: { name: 's1' },
        listeners: [{ name: 'http', protocol: 'TCP', port: 80, backendPool: 'p' }],
        backendPools: [{ name: 'p', members: [{ ip: '10.0.2.9', port: 80 }] }],
      }),
    );
    await readyForGeneration(cluster, 'bad2');
    expect(await rowsOf(await uidOf('bad2'), 'protocol')).toEqual(['tcp']);
  });

  it('deletes every row and gives back its addresses when deleted', async () => {
    const uids = [await uidOf('lb'), await uidOf('bad'), await uidOf('bad2')];
    for (const name of ['lb', 'bad', 'bad2']) {
      const r = await cluster.kubectl([
        'delete',
        'loadbalancer',
        name,
        '-n',
        cluster.namespace,
        '--wait=false',
      ]);
      expect(r.code).toBe(0);
    }
    for (const name of ['lb', 'bad', 'bad2']) await cluster.waitForGone(lbRef(name));
    for (const uid of uids) expect(await rowsOf(uid, '_uuid')).toEqual([]);
    for (const name of ['lb-vip', 'lb-monitor', 'bad2-vip']) {
      await cluster.waitForGone({ apiVersion: vpcApi, kind: 'NetworkInterface', name });
    }
    expect(
      await ovn.nb([
        '--data=bare',
        '--no-headings',
        '--columns=_uuid',
        'list',
        'Load_Balancer_Health_Check',
      ]),
    ).toBe('');
    expect(await held('Logical_Router', router)).toEqual([]);
  });

  it('sweeps the rows of a LoadBalancer that is gone (deleted while no manager ran)', async () => {
    const uid = '0d6f7a52-3c1b-4e8e-9a61-6c1f0f0e5b11';
    await ovn.nb([
      'create',
      'Load_Balancer',
      'name=slb-ghost',
      'protocol=tcp',
      'vips:"10.0.1.250:80"="10.0.1.2:80"',
      'external_ids:"kcloud.io/kind"=LoadBalancer',
      `external_ids:"kcloud.io/uid"=${uid}`,
      `external_ids:"kcloud.io/namespace"=${cluster.namespace}`,
      'external_ids:"kcloud.io/name"=ghost',
    ]);
    await ovn.nb(['lr-lb-add', router, 'slb-ghost']);
    expect(await rowsOf(uid, 'name')).toEqual(['slb-ghost']);
    await waitFor(async () => (await rowsOf(uid, '_uuid')).length === 0, {
      what: 'the orphaned row swept',
      timeoutMs: 30_000,
    });
    expect(await held('Logical_Router', router)).toEqual([]);
  });
});
