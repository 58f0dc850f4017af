// NATGateways against a real API server and real OVN (the vpc and eip operators in one
// manager): the EIPs bound to a NATGateway give its VPC router a gateway port (the EIP
// operator) and its rules become snat NAT rows and port-forwarding load balancers on that
// router (the VPC operator), exactly as meant; editing a rule or re-binding an EIP moves the
// rows at once; a rule whose EIP is not bound to the NATGateway, or whose range or address is
// outside the VPC, is refused with a reason naming it and nothing of it is written; the rows of
// a NATGateway force-deleted without its finalizer are swept; deleting everything leaves no
// NAT row, load balancer or gateway port.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { doc, eipApi, eipRef, useEipOperator, vpcApi } from '../eip/fixture.ts';

const cluster = useTestCluster('natgw-op');
// The vpc operator sweeps orphans every 2 s: a test sees a force-deleted NATGateway's rows go.
const eip = useEipOperator(cluster, { dataPlane: false }, ['gw-1'], 2_000);
let pool = '';
const gwRef = (name: string) => ({ apiVersion: vpcApi, kind: 'NATGateway', name });

const bindEip = (name: string, binding?: object) =>
  cluster.apply(
    doc(eipApi, 'EIP', name, { poolRef: { name: pool }, ...(binding ? { binding } : {}) }),
  );
const toGateway = (gw: string) => ({ natGatewayRef: { name: gw } });

const address = async (name: string) =>
  (await cluster.waitForCondition(eipRef(name), 'Ready')).status?.address as string;

/** ovn-nbctl find on one owner's rows: the columns asked for, one row per line, sorted. */
async function owned(table: string, uid: string, columns: string): Promise<string[]> {
  const out = await eip.nb([
    '--format=csv',
    '--data=bare',
    '--no-headings',
    `--columns=${columns}`,
    'find',
    table,
    `external_ids:"kcloud.io/uid"="${uid}"`,
  ]);
  return out.split('\n').filter(Boolean).sort();
}

const uidOf = async (name: string) => (await cluster.read(gwRef(name))).metadata?.uid ?? '';
const routerOf = async () =>
  (await cluster.waitForCondition({ apiVersion: vpcApi, kind: 'VPC', name: 'v1' }, 'Ready')).status
    ?.routerName as string;

/** The snat rows of a NATGateway as `external logical` pairs, sorted. */
const snatRows = async (uid: string) =>
  (await owned('NAT', uid, 'type,external_ip,logical_ip')).map((r) => r.replaceAll(',', ' '));
/** Its load balancers as `protocol vips`, sorted. */
const forwards = async (uid: string) =>
  (await owned('Load_Balancer', uid, 'protocol,vips')).map((r) => r.replace(',', ' '));

/** Waits until the NATGateway is Ready for its current generation. */
async function readyForGeneration(name: string) {
  let last = '';
  await waitFor(
    async () => {
      const o = await cluster.read(gwRef(name));
      last = JSON.stringify(o.status ?? null);
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === o.metadata?.generation;
    },
    { what: `NATGateway ${name} Ready for its generation`, describe: () => last },
  );
}

/** Waits for Ready=False with a reason other than Reconciling, for the current generation. */
async function refusal(name: string): Promise<{ reason: string; message: string }> {
  let last = '';
  return waitFor(
    async () => {
      const o = await cluster.read(gwRef(name));
      last = JSON.stringify(o.status ?? null);
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' &&
        ready.observedGeneration === o.metadata?.generation &&
        ready.reason !== 'Reconciling'
        ? { reason: ready.reason ?? '', message: ready.message ?? '' }
        : undefined;
    },
    { what: `NATGateway ${name} Ready=False for its generation`, describe: () => last },
  );
}

const gatewayPorts = async () =>
  (
    await eip.nb([
      '--format=csv',
      '--data=bare',
      '--no-headings',
      '--columns=name',
      'list',
      'Logical_Router_Port',
    ])
  )
    .split('\n')
    .filter((n) => n.startsWith('kcloud-eipgw-'));

const http = {
  name: 'http',
  eipRef: { name: 'a' },
  protocol: 'TCP',
  externalPort: 8080,
  internalIP: '10.0.1.10',
  internalPort: 80,
};
const dns = {
  name: 'dns',
  eipRef: { name: 'b' },
  protocol: 'UDP',
  externalPort: 53,
  internalIP: '10.0.1.11',
  internalPort: 53,
};
const gwSpec = (extra: object = {}) => ({
  vpcRef: { name: 'v1' },
  snatRules: [
    { name: 'web', subnetRef: { name: 's1' }, eipRef: { name: 'a' } },
    { name: 'one-host', cidr: '10.0.2.5/32', eipRef: { name: 'b' } },
  ],
  dnatRules: [http, dns],
  ...extra,
});

beforeAll(async () => {
  pool = `${cluster.namespace}-pool`;
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, {
        cidrBlock: '198.51.100.0/26',
        gatewayIP: '198.51.100.1',
        allocatableRanges: ['198.51.100.10-198.51.100.40'],
        providerNetwork: 'physnet1',
      }),
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'VPC', 'v2', { cidrBlocks: ['10.9.0.0/16'] }),
      doc(vpcApi, 'Subnet', 's1', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'Subnet', 'other', { vpcRef: { name: 'v2' }, cidrBlock: '10.9.1.0/24' }),
      doc(vpcApi, 'NetworkInterface', 'web', { subnetRef: { name: 's1' } }),
    ].join('---\n'),
  );
});

afterAll(async () => {
  await cluster.custom
    .deleteClusterCustomObject({
      group: 'eip.kcloud.io',
      version: 'v1alpha1',
      plural: 'eippools',
      name: pool,
    })
    .catch(() => undefined);
});

describe('a NATGateway in OVN', () => {
  it('writes its SNAT rules as snat rows and its DNAT rules as load balancer VIPs on the VPC router', async () => {
    await cluster.apply(doc(vpcApi, 'NATGateway', 'gw', gwSpec()));
    await bindEip('a', toGateway('gw'));
    await bindEip('b', toGateway('gw'));
    const [a, b] = [await address('a'), await address('b')];
    expect((await cluster.read(eipRef('a'))).status?.boundTo).toBe('NATGateway/gw');
    await readyForGeneration('gw');
    const uid = await uidOf('gw');
    expect(await snatRows(uid)).toEqual([`snat ${a} 10.0.1.0/24`, `snat ${b} 10.0.2.5/32`].sort());
    expect(await forwards(uid)).toEqual([`tcp ${a}:8080=10.0.1.10:80`, `udp ${b}:53=10.0.1.11:53`]);
    // On the VPC router, beside the gateway port the EIP operator gave it for the EIPs.
    const router = await routerOf();
    const lbs = await eip.nb(['lr-lb-list', router]);
    expect(lbs).toContain(`${a}:8080`);
    expect(lbs).toContain(`${b}:53`);
    const natList = await eip.nb(['lr-nat-list', router]);
    expect(natList).toContain('10.0.1.0/24');
    expect(await gatewayPorts()).toHaveLength(1);
    const status = (await cluster.read(gwRef('gw'))).status ?? {};
    expect(status).toMatchObject({ routerName: router, snatRules: 2, dnatRules: 2 });
    // Everything carries the owner: kind, namespace, name, uid and VPC.
    const ids = await owned('NAT', uid, 'external_ids');
    expect(ids[0]).toContain('kcloud.io/kind=NATGateway');
    expect(ids[0]).toContain(`kcloud.io/namespace=${cluster.namespace}`);
  });

  it('moves the rows at once when a rule is edited, and puts back a row deleted by hand', async () => {
    const uid = await uidOf('gw');
    const [a, b] = [await address('a'), await address('b')];
    await cluster.apply(
      doc(
        vpcApi,
        'NATGateway',
        'gw',
        gwSpec({
          snatRules: [{ name: 'web', subnetRef: { name: 's1' }, eipRef: { name: 'b' } }],
          dnatRules: [{ ...http, externalPort: 8081 }],
        }),
      ),
    );
    await readyForGeneration('gw');
    expect(await snatRows(uid)).toEqual([`snat ${b} 10.0.1.0/24`]);
    expect(await forwards(uid)).toEqual([`tcp ${a}:8081=10.0.1.10:80`]);

    // Drift: a row deleted by hand is put back by the next reconcile.
    const router = await routerOf();
    await eip.nb(['lr-nat-del', router, 'snat', '10.0.1.0/24']);
    await cluster.apply(
      doc(
        vpcApi,
        'NATGateway',
        'gw',
        gwSpec({
          snatRules: [{ name: 'web', subnetRef: { name: 's1' }, eipRef: { name: 'b' } }],
          dnatRules: [{ ...http, externalPort: 8082 }],
        }),
      ),
    );
    await readyForGeneration('gw');
    expect(await snatRows(uid)).toEqual([`snat ${b} 10.0.1.0/24`]);
    expect(await forwards(uid)).toEqual([`tcp ${a}:8082=10.0.1.10:80`]);
  });

  it('leaves out the rules of an EIP re-bound elsewhere, naming it, and takes them back when it returns', async () => {
    const uid = await uidOf('gw');
    await cluster.apply(doc(vpcApi, 'NATGateway', 'gw', gwSpec()));
    await readyForGeneration('gw');
    const [a, b] = [await address('a'), await address('b')];
    await bindEip('a', { networkInterfaceRef: { name: 'web' } });
    const r = await refusal('gw');
    expect(r.reason).toBe('EIPNotBound');
    expect(r.message).toContain('EIP a is bound to NetworkInterface web');
    // Only b's rules are left; a is now the interface's (its own dnat_and_snat row).
    await waitFor(async () => (await snatRows(uid)).length === 1, { what: "a's snat row to go" });
    expect(await snatRows(uid)).toEqual([`snat ${b} 10.0.2.5/32`]);
    expect(await forwards(uid)).toEqual([`udp ${b}:53=10.0.1.11:53`]);
    await cluster.waitForCondition(eipRef('a'), 'Ready');
    expect(await eip.nb(['--bare', '--columns=type', 'find', 'NAT', `external_ip=${a}`])).toContain(
      'dnat_and_snat',
    );

    await bindEip('a', toGateway('gw'));
    await readyForGeneration('gw');
    expect(await snatRows(uid)).toEqual([`snat ${a} 10.0.1.0/24`, `snat ${b} 10.0.2.5/32`].sort());
    expect(await forwards(uid)).toHaveLength(2);
    expect(
      (await eip.nb(['--bare', '--columns=type', 'find', 'NAT', `external_ip=${a}`])).trim(),
    ).toBe('snat');
  });
});

describe('a NATGateway that cannot be had', () => {
  const cases: [string, object, string, string][] = [
    ['no-vpc', { vpcRef: { name: 'nope' } }, 'VPCNotFound', 'VPC nope does not exist'],
    [
      'outside',
      {
        vpcRef: { name: 'v1' },
        snatRules: [{ name: 'far', cidr: '192.168.0.0/24', eipRef: { name: 'c' } }],
      },
      'CIDROutsideVPC',
      'SNAT rule far: 192.168.0.0/24 is not inside any range of VPC v1',
    ],
    [
      'other-vpc',
      {
        vpcRef: { name: 'v1' },
        snatRules: [{ name: 'theirs', subnetRef: { name: 'other' }, eipRef: { name: 'c' } }],
      },
      'SubnetNotInVPC',
      'SNAT rule theirs: Subnet other belongs to VPC v2',
    ],
    [
      'ip-outside',
      {
        vpcRef: { name: 'v1' },
        dnatRules: [{ ...http, eipRef: { name: 'c' }, internalIP: '10.9.1.5' }],
      },
      'IPOutsideVPC',
      'DNAT rule http: internalIP 10.9.1.5 is not inside any range of VPC v1',
    ],
    [
      'unbound',
      { vpcRef: { name: 'v1' }, dnatRules: [{ ...http, eipRef: { name: 'c' } }] },
      'EIPNotBound',
      'DNAT rule http: EIP c is not bound: bind it to this NATGateway',
    ],
    [
      'taken',
      {
        vpcRef: { name: 'v1' },
        snatRules: [{ name: 'web', subnetRef: { name: 's1' }, eipRef: { name: 'a' } }],
      },
      'EIPNotBound',
      'SNAT rule web: EIP a is bound to NATGateway gw',
    ],
    [
      'missing-eip',
      {
        vpcRef: { name: 'v1' },
        snatRules: [{ name: 'web', subnetRef: { name: 's1' }, eipRef: { name: 'nope' } }],
      },
      'EIPNotFound',
      'SNAT rule web: EIP nope does not exist',
    ],
  ];

  it('says why with a reason naming the rule, and writes nothing of it to OVN', async () => {
    await bindEip('c');
    await address('c');
    for (const [name, spec] of cases) {
      await cluster.apply(doc(vpcApi, 'NATGateway', name, spec));
    }
    for (const [name, , reason, message] of cases) {
      const r = await refusal(name);
      expect({ name, reason: r.reason }).toEqual({ name, reason });
      expect(r.message).toContain(message);
      const uid = await uidOf(name);
      expect(await owned('NAT', uid, '_uuid')).toEqual([]);
      expect(await owned('Load_Balancer', uid, '_uuid')).toEqual([]);
    }
  });
});

describe('deleting', () => {
  it('sweeps the rows of a NATGateway that is gone without its finalizer running', async () => {
    // Rows as a NATGateway deleted while the manager was down, its finalizer stripped by hand,
    // would leave them: owned by a NATGateway the API server does not have.
    const uid = '00000000-0000-4000-8000-00000000beef';
    const ids = [
      'external_ids:"kcloud.io/kind"=NATGateway',
      `external_ids:"kcloud.io/namespace"=${cluster.namespace}`,
      'external_ids:"kcloud.io/name"=ghost',
      `external_ids:"kcloud.io/uid"=${uid}`,
    ];
    const router = await routerOf();
    await eip.nb([
      '--',
      '--id=@nat',
      'create',
      'NAT',
      'type=snat',
      'external_ip=198.51.100.50',
      'logical_ip=10.0.4.0/24',
      ...ids,
      '--',
      'add',
      'Logical_Router',
      router,
      'nat',
      '@nat',
      '--',
      '--id=@lb',
      'create',
      'Load_Balancer',
      `name=kcloud-natgw-${uid}-tcp`,
      'protocol=tcp',
      'vips:"198.51.100.50:80"="10.0.4.5:80"',
      ...ids,
      '--',
      'add',
      'Logical_Router',
      router,
      'load_balancer',
      '@lb',
    ]);
    expect(await snatRows(uid)).toHaveLength(1);
    expect(await forwards(uid)).toHaveLength(1);
    await waitFor(
      async () => (await snatRows(uid)).length === 0 && (await forwards(uid)).length === 0,
      { what: 'the orphan sweep to remove the NAT row and load balancer of ghost' },
    );
  });

  it('leaves no NAT row, load balancer or gateway port in OVN', async () => {
    const uids = await Promise.all(['gw', 'outside'].map(uidOf));
    for (const name of [
      'gw',
      'no-vpc',
      'outside',
      'other-vpc',
      'ip-outside',
      'unbound',
      'taken',
      'missing-eip',
    ]) {
      await cluster.custom.deleteNamespacedCustomObject({
        group: 'vpc.kcloud.io',
        version: 'v1alpha1',
        namespace: cluster.namespace,
        plural: 'natgateways',
        name,
      });
    }
    for (const name of ['gw', 'outside']) await cluster.waitForGone(gwRef(name));
    for (const uid of uids) {
      expect(await owned('NAT', uid, '_uuid')).toEqual([]);
      expect(await owned('Load_Balancer', uid, '_uuid')).toEqual([]);
    }
    // Nothing translates through the router's gateway port any more: it goes, and the EIPs
    // bound to the deleted NATGateway wait for it until they are bound elsewhere or unbound.
    await waitFor(async () => (await gatewayPorts()).length === 0, {
      what: 'the gateway port to go',
    });
    await cluster.waitForCondition(eipRef('a'), 'Ready', 'False', undefined, 'NATGatewayNotFound');
    await bindEip('a');
    await bindEip('b');
    await cluster.waitForCondition(eipRef('a'), 'Ready');
    await cluster.waitForCondition(eipRef('b'), 'Ready');
    expect(await gatewayPorts()).toEqual([]);
    expect((await eip.nb(['--bare', '--columns=_uuid', 'list', 'NAT'])).trim()).toBe('');
    expect((await eip.nb(['--bare', '--columns=_uuid', 'list', 'Load_Balancer'])).trim()).toBe('');
  });
});
