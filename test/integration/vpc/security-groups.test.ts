// SecurityGroups on real OVN: every interface joins the baseline group (inbound denied,
// outbound allowed); a SecurityGroup becomes a port group holding its members' ports and one
// ACL per rule; rule and membership changes reach OVN; deleting the group removes it.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { apiVersion, doc, ref, useVpcOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-sg');
const ovn = useVpcOperator(cluster);
const nb = (args: string[]) => ovn.nb(args);

const http = {
  name: 'http',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 80, to: 80 },
  remoteCIDR: '0.0.0.0/0',
};
const ssh = {
  name: 'ssh',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 22, to: 22 },
  remoteCIDR: '10.0.0.0/8',
};

async function portGroup(name: string): Promise<{ ports: number; acls: string }> {
  const ports = (
    await nb(['--bare', '--columns=ports', 'find', 'Port_Group', `name=${name}`])
  ).trim();
  const acls = await nb(['acl-list', name]).catch(() => '');
  return { ports: ports ? ports.split(/\s+/).length : 0, acls };
}

describe('SecurityGroups on real OVN', () => {
  it('puts every interface in the baseline group and each group member in its port group', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: [http, ssh] }),
        doc('NetworkInterface', 'a', {
          subnetRef: { name: 's' },
          securityGroupRefs: [{ name: 'web' }],
        }),
        doc('NetworkInterface', 'b', {
          subnetRef: { name: 's' },
          securityGroupRefs: [{ name: 'web' }],
        }),
        doc('NetworkInterface', 'c', { subnetRef: { name: 's' } }),
      ].join('---\n'),
    );
    for (const n of ['a', 'b', 'c'])
      await cluster.waitForCondition(ref('NetworkInterface', n), 'Ready');
    // The baseline group of the interfaces' Subnet.
    const subnetUid = (await cluster.read(ref('Subnet', 's'))).metadata?.uid ?? '';
    const baselineName = `kcloud_interfaces_${subnetUid.replaceAll('-', '_')}`;
    const baseline = await portGroup(baselineName);
    expect(baseline.ports).toBe(3);
    expect(baseline.acls).toContain(
      `from-lport  1000 (inport == @${baselineName} && ip) allow-related`,
    );
    expect(baseline.acls).toContain(`to-lport  1000 (outport == @${baselineName} && ip) drop`);

    const sg = await waitFor(
      async () => {
        const o = await cluster.read(ref('SecurityGroup', 'web'));
        return o.status?.members === 2 ? o : undefined;
      },
      {
        what: 'SecurityGroup web with 2 members',
        describe: async () =>
          JSON.stringify((await cluster.read(ref('SecurityGroup', 'web'))).status),
      },
    );
    const pg = String(sg.status?.portGroupName);
    const group = await portGroup(pg);
    expect(group.ports).toBe(2);
    expect(group.acls).toContain(
      `to-lport  2200 (outport == @${pg} && ip4 && tcp.dst == 80) allow-related`,
    );
    expect(group.acls).toContain(
      `to-lport  2200 (outport == @${pg} && ip4 && ip4.src == 10.0.0.0/8 && tcp.dst == 22) allow-related`,
    );
    expect(group.acls).toContain(
      `to-lport  2001 (outport == @${pg} && ip4 && ip4.src == $${pg}_ip4) allow-related`,
    );
  });

  it('moves an interface still in the one baseline group every interface shared to its Subnet’s', async () => {
    // What an operator of an earlier release left: c in the group of every interface only.
    const subnetUid = (await cluster.read(ref('Subnet', 's'))).metadata?.uid ?? '';
    const own = `kcloud_interfaces_${subnetUid.replaceAll('-', '_')}`;
    const portName = (await cluster.read(ref('NetworkInterface', 'c'))).status?.portName;
    if (typeof portName !== 'string') throw new Error('interface c has no port');
    const port = (
      await nb(['--bare', '--columns=_uuid', 'find', 'Logical_Switch_Port', `name=${portName}`])
    ).trim();
    await nb(['pg-add', 'kcloud_interfaces', portName]);
    await nb(['remove', 'Port_Group', own, 'ports', port]);
    expect((await portGroup(own)).ports).toBe(2);

    // Any change of the interface has it reconciled.
    const moved = await cluster.kubectl([
      'label',
      'networkinterface',
      'c',
      'moved=yes',
      '-n',
      cluster.namespace,
    ]);
    expect(moved.code).toBe(0);
    await waitFor(
      async () =>
        (await portGroup(own)).ports === 3 &&
        (
          await nb(['--bare', '--columns=name', 'find', 'Port_Group', 'name=kcloud_interfaces'])
        ).trim() === '',
      {
        what: 'interface c in its Subnet’s baseline group, the shared group gone',
        describe: async () =>
          `own ${JSON.stringify(await portGroup(own))}, shared ${JSON.stringify(await portGroup('kcloud_interfaces'))}`,
      },
    );
  });

  it('follows rule and membership changes', async () => {
    const pg = String((await cluster.read(ref('SecurityGroup', 'web'))).status?.portGroupName);
    await cluster.apply(doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: [http] }));
    await waitFor(async () => !(await portGroup(pg)).acls.includes('tcp.dst == 22'), {
      what: 'the ssh ACL to go',
    });
    expect((await portGroup(pg)).acls).toContain('tcp.dst == 80');

    await cluster.apply(
      doc('NetworkInterface', 'b', { subnetRef: { name: 's' }, securityGroupRefs: [] }),
    );
    await waitFor(async () => (await portGroup(pg)).ports === 1, {
      what: 'b to leave the port group',
    });
    await cluster.apply(
      doc('NetworkInterface', 'c', {
        subnetRef: { name: 's' },
        securityGroupRefs: [{ name: 'web' }],
      }),
    );
    await waitFor(async () => (await portGroup(pg)).ports === 2, {
      what: 'c to join the port group',
    });
  });

  it('reports a rule naming a missing group, and removes the port group with the SecurityGroup', async () => {
    await cluster.apply(
      doc('SecurityGroup', 'db', {
        vpcRef: { name: 'v' },
        rules: [
          {
            name: 'from-app',
            direction: 'Ingress',
            protocol: 'TCP',
            remoteSecurityGroupRef: { name: 'app' },
          },
        ],
      }),
    );
    const failed = await cluster.waitForCondition(ref('SecurityGroup', 'db'), 'Ready', 'False');
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe(
      'SecurityGroupNotFound',
    );
    await cluster.apply(doc('SecurityGroup', 'app', { vpcRef: { name: 'v' } }));
    await cluster.waitForCondition(ref('SecurityGroup', 'db'), 'Ready', 'True', 90_000);

    const pg = String((await cluster.read(ref('SecurityGroup', 'web'))).status?.portGroupName);
    await cluster.objects.delete({
      apiVersion,
      kind: 'SecurityGroup',
      metadata: { name: 'web', namespace: cluster.namespace },
    });
    await cluster.waitForGone(ref('SecurityGroup', 'web'));
    expect(
      (await nb(['--bare', '--columns=name', 'find', 'Port_Group', `name=${pg}`])).trim(),
    ).toBe('');
  });

  it('keeps a group within its VPC: no member and no remote group from another', async () => {
    // Groups match peers by address, and addresses repeat across VPCs.
    await cluster.apply(
      [
        doc('VPC', 'other', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'o', { vpcRef: { name: 'other' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'other-sg', { vpcRef: { name: 'other' } }),
        doc('NetworkInterface', 'stranger', {
          subnetRef: { name: 'o' },
          securityGroupRefs: [{ name: 'app' }],
        }),
        doc('SecurityGroup', 'mixed', {
          vpcRef: { name: 'v' },
          rules: [
            {
              name: 'from-other',
              direction: 'Ingress',
              protocol: 'All',
              remoteSecurityGroupRef: { name: 'other-sg' },
            },
          ],
        }),
      ].join('---\n'),
    );
    // On its way it may say SubnetNotReady first (the other VPC's Subnet is new).
    const refusedNic = await cluster.waitForCondition(
      ref('NetworkInterface', 'stranger'),
      'Ready',
      'False',
      60_000,
      'SecurityGroupNotInVPC',
    );
    expect(refusedNic.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe(
      'SecurityGroupNotInVPC',
    );
    expect(refusedNic.status?.portName).toBeUndefined();
    const refusedGroup = await cluster.waitForCondition(
      ref('SecurityGroup', 'mixed'),
      'Ready',
      'False',
      60_000,
      'SecurityGroupNotInVPC',
    );
    expect(refusedGroup.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe(
      'SecurityGroupNotInVPC',
    );
    const app = await cluster.waitForCondition(ref('SecurityGroup', 'app'), 'Ready');
    expect(app.status?.members).toBe(0);
  });
});
