// The VPC operator end to end: VPC, Subnet and NetworkInterface objects on the real API
// server become rows in a real OVN northbound database (with ovn-northd translating them):
// addresses from IPAM, cross-object problems reported with their reason and nothing written,
// deletion refused while dependents exist, and no row left behind.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { apiVersion, doc, ref, refusalReason, useVpcOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-op');
const ovn = useVpcOperator(cluster);
const nb = (args: string[]) => ovn.nb(args);

/** Rows that carry this namespace in their owner record, per table. */
async function ownedRowCount(): Promise<number> {
  let n = 0;
  for (const table of [
    'Logical_Router',
    'Logical_Router_Port',
    'Logical_Switch',
    'Logical_Switch_Port',
    'DHCP_Options',
  ]) {
    const out = await nb([
      '--format=csv',
      '--no-headings',
      '--columns=_uuid',
      'find',
      table,
      `external_ids:"kcloud.io/namespace"="${cluster.namespace}"`,
    ]);
    n += out.split('\n').filter(Boolean).length;
  }
  return n;
}

const reason = (kind: string, name: string) => refusalReason(cluster, kind, name);

describe('the VPC operator on real OVN', () => {
  it('programs a VPC with two subnets and their interfaces', async () => {
    await cluster.apply(
      [
        doc('VPC', 'prod', { cidrBlocks: ['10.0.0.0/16'], dnsServers: ['10.0.0.2'] }),
        doc('Subnet', 'web', { vpcRef: { name: 'prod' }, cidrBlock: '10.0.1.0/24' }),
        doc('Subnet', 'db', {
          vpcRef: { name: 'prod' },
          cidrBlock: '10.0.2.0/24',
          gatewayIP: '10.0.2.254',
        }),
        doc('NetworkInterface', 'web-1', { subnetRef: { name: 'web' } }),
        doc('NetworkInterface', 'web-2', { subnetRef: { name: 'web' } }),
        doc('NetworkInterface', 'db-1', {
          subnetRef: { name: 'db' },
          ipAddress: '10.0.2.10',
          macAddress: '02:00:00:00:02:10',
        }),
      ].join('---\n'),
    );
    for (const [kind, name] of [
      ['VPC', 'prod'],
      ['Subnet', 'web'],
      ['Subnet', 'db'],
      ['NetworkInterface', 'web-1'],
      ['NetworkInterface', 'web-2'],
      ['NetworkInterface', 'db-1'],
    ] as const) {
      await cluster.waitForCondition(ref(kind, name), 'Ready');
    }
    const web1 = await cluster.read(ref('NetworkInterface', 'web-1'));
    const web2 = await cluster.read(ref('NetworkInterface', 'web-2'));
    const db1 = await cluster.read(ref('NetworkInterface', 'db-1'));
    expect([web1.status?.ipAddress, web2.status?.ipAddress].sort()).toEqual([
      '10.0.1.2',
      '10.0.1.3',
    ]);
    expect(db1.status).toMatchObject({
      ipAddress: '10.0.2.10',
      macAddress: '02:00:00:00:02:10',
      gatewayIP: '10.0.2.254',
      prefixLength: 24,
    });
    // The address counters are batched: they land at the latest one batch period after the
    // interfaces took their addresses.
    await waitFor(async () => (await cluster.read(ref('Subnet', 'web'))).status?.usedIPs === 2, {
      timeoutMs: 30_000,
      what: 'Subnet web counting its 2 interfaces',
      describe: async () => JSON.stringify((await cluster.read(ref('Subnet', 'web'))).status),
    });
    const web = await cluster.read(ref('Subnet', 'web'));
    expect(web.status).toMatchObject({ gatewayIP: '10.0.1.1', usedIPs: 2, availableIPs: 251 });
    const vpc = await cluster.read(ref('VPC', 'prod'));
    expect(vpc.status).toMatchObject({ subnets: 2 });

    const show = await nb(['show', String(vpc.status?.routerName)]);
    expect(show).toContain('networks: ["10.0.1.1/24"]');
    expect(show).toContain('networks: ["10.0.2.254/24"]');
    const port = String(db1.status?.portName);
    expect((await nb(['lsp-get-addresses', port])).trim()).toBe('02:00:00:00:02:10 10.0.2.10');
    expect((await nb(['lsp-get-port-security', port])).trim()).toBe('02:00:00:00:02:10 10.0.2.10');
    expect(await nb(['lsp-get-dhcpv4-options', port])).toContain('10.0.2.0/24');
    // northd turned the logical topology into southbound datapaths.
    expect(await nb(['--columns=name', 'list', 'Logical_Switch'])).toContain(
      String(web.status?.switchName),
    );
  });

  it('reports cross-object problems with their reason and writes nothing for them', async () => {
    const before = await ownedRowCount();
    await cluster.apply(
      doc('Subnet', 'outside', { vpcRef: { name: 'prod' }, cidrBlock: '10.9.0.0/24' }),
    );
    expect(await reason('Subnet', 'outside')).toBe('CIDROutsideVPC');
    await cluster.apply(
      doc('Subnet', 'overlap', { vpcRef: { name: 'prod' }, cidrBlock: '10.0.1.0/25' }),
    );
    expect(await reason('Subnet', 'overlap')).toBe('CIDROverlap');
    await cluster.apply(
      doc('Subnet', 'orphan', { vpcRef: { name: 'nowhere' }, cidrBlock: '10.0.3.0/24' }),
    );
    expect(await reason('Subnet', 'orphan')).toBe('VPCNotFound');
    await cluster.apply(
      doc('NetworkInterface', 'taken', { subnetRef: { name: 'db' }, ipAddress: '10.0.2.10' }),
    );
    expect(await reason('NetworkInterface', 'taken')).toBe('IPInUse');
    await cluster.apply(
      doc('NetworkInterface', 'gw', { subnetRef: { name: 'db' }, ipAddress: '10.0.2.254' }),
    );
    expect(await reason('NetworkInterface', 'gw')).toBe('IPReserved');
    expect(await ownedRowCount()).toBe(before);

    // A missing referent is waited for: once the VPC exists, the Subnet becomes Ready.
    await cluster.apply(doc('VPC', 'nowhere', { cidrBlocks: ['10.0.0.0/16'] }));
    await cluster.waitForCondition(ref('Subnet', 'orphan'), 'Ready', 'True', 90_000);
    for (const [kind, name] of [
      ['Subnet', 'outside'],
      ['Subnet', 'overlap'],
      ['NetworkInterface', 'taken'],
      ['NetworkInterface', 'gw'],
      ['Subnet', 'orphan'],
      ['VPC', 'nowhere'],
    ] as const) {
      await cluster.objects.delete({
        apiVersion,
        kind,
        metadata: { name, namespace: cluster.namespace },
      });
      await cluster.waitForGone(ref(kind, name));
    }
  });

  it('refuses to delete a VPC or Subnet still in use, then removes every row', async () => {
    await cluster.objects.delete({
      apiVersion,
      kind: 'VPC',
      metadata: { name: 'prod', namespace: cluster.namespace },
    });
    expect(await reason('VPC', 'prod')).toBe('InUse');
    await cluster.objects.delete({
      apiVersion,
      kind: 'Subnet',
      metadata: { name: 'web', namespace: cluster.namespace },
    });
    expect(await reason('Subnet', 'web')).toBe('InUse');

    for (const name of ['web-1', 'web-2', 'db-1']) {
      await cluster.objects.delete({
        apiVersion,
        kind: 'NetworkInterface',
        metadata: { name, namespace: cluster.namespace },
      });
    }
    await cluster.objects.delete({
      apiVersion,
      kind: 'Subnet',
      metadata: { name: 'db', namespace: cluster.namespace },
    });
    await cluster.waitForGone(ref('VPC', 'prod'), 90_000);
    await waitFor(async () => (await ownedRowCount()) === 0, {
      timeoutMs: 30_000,
      what: 'no OVN row owned by the namespace',
      describe: async () => String(await ownedRowCount()),
    });
  });
});
