// NetworkACLs on real OVN: Ingress rules become stateless ACLs on the router-facing port of
// each bound Subnet's switch, Egress rules policies on the VPC router for the Subnet's router
// port; both follow changes of rules and bindings, a Subnet keeps the NetworkACL that took it
// first, and deletion leaves nothing behind.
import { describe, expect, it } from '@jest/globals';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { apiVersion, doc, ref, refusalReason, useVpcOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-nacl');
const ovn = useVpcOperator(cluster);
const nb = (args: string[]) => ovn.nb(args);

const reason = (kind: string, name: string) => refusalReason(cluster, kind, name);

/** `direction priority match action` of the ACLs on a Subnet's switch. */
async function switchAcls(subnet: string): Promise<string[]> {
  const s = await cluster.read(ref('Subnet', subnet));
  const out = await nb(['acl-list', String(s.status?.switchName)]);
  return out
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort();
}

/** `priority match action` of the router policies. */
async function routerPolicies(): Promise<string[]> {
  const v = await cluster.read(ref('VPC', 'v'));
  const out = await nb(['lr-policy-list', String(v.status?.routerName)]);
  return out
    .split('\n')
    .slice(1)
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort();
}

/** ACLs and router policies the namespace's NetworkACLs own. */
async function ownedAclCount(): Promise<number> {
  let n = 0;
  for (const table of ['ACL', 'Logical_Router_Policy']) {
    const out = await nb([
      '--format=csv',
      '--no-headings',
      '--columns=_uuid',
      'find',
      table,
      `external_ids:"kcloud.io/namespace"="${cluster.namespace}"`,
      'external_ids:"kcloud.io/kind"=NetworkACL',
    ]);
    n += out.split('\n').filter(Boolean).length;
  }
  return n;
}

const del = (kind: string, name: string) =>
  cluster.objects.delete({ apiVersion, kind, metadata: { name, namespace: cluster.namespace } });

const rules = [
  {
    ruleNumber: 100,
    direction: 'Ingress',
    protocol: 'TCP',
    ports: { from: 22, to: 22 },
    cidr: '0.0.0.0/0',
    action: 'Deny',
  },
  { ruleNumber: 200, direction: 'Ingress', protocol: 'All', cidr: '10.0.0.0/8', action: 'Allow' },
  { ruleNumber: 100, direction: 'Egress', protocol: 'ICMP', cidr: '10.0.2.0/24', action: 'Deny' },
];

describe('NetworkACLs on real OVN', () => {
  it('puts Ingress rules on the bound Subnet and Egress rules on its router', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'a', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('Subnet', 'b', { vpcRef: { name: 'v' }, cidrBlock: '10.0.2.0/24' }),
        doc('NetworkACL', 'edge', { subnetRefs: [{ name: 'a' }], rules }),
      ].join('---\n'),
    );
    const nacl = await cluster.waitForCondition(ref('NetworkACL', 'edge'), 'Ready');
    expect(nacl.status).toMatchObject({ subnets: ['a'] });
    const a = (await cluster.read(ref('Subnet', 'a'))).metadata?.uid ?? '';
    const routerSide = `"kcloud-rtr-${a}-ls"`;
    expect(await switchAcls('a')).toEqual([
      `from-lport 32567 (inport == ${routerSide} && ip4 && ip4.src == 10.0.0.0/8) allow-stateless`,
      `from-lport 32667 (inport == ${routerSide} && ip4 && tcp.dst == 22) drop`,
    ]);
    expect(await switchAcls('b')).toEqual([]);
    expect(await routerPolicies()).toEqual([
      `32667 inport == "kcloud-rtr-${a}" && ip4 && ip4.dst == 10.0.2.0/24 && icmp4 drop`,
    ]);
  });

  it('follows rule and Subnet changes', async () => {
    await cluster.apply(
      doc('NetworkACL', 'edge', { subnetRefs: [{ name: 'b' }], rules: rules.slice(0, 1) }),
    );
    await waitFor(
      async () => (await switchAcls('a')).length === 0 && (await switchAcls('b')).length === 1,
      {
        timeoutMs: 30_000,
        what: 'the one rule moved from Subnet a to b',
        describe: async () =>
          `a: ${(await switchAcls('a')).join('; ')} b: ${(await switchAcls('b')).join('; ')}`,
      },
    );
    // The operator only touches its own ACLs on a switch.
    const b = await cluster.read(ref('Subnet', 'b'));
    await nb([
      '--',
      '--id=@acl',
      'create',
      'ACL',
      'direction=to-lport',
      'priority=5',
      'match="ip4"',
      'action=allow',
      '--',
      'add',
      'Logical_Switch',
      String(b.status?.switchName),
      'acls',
      '@acl',
    ]);
    expect(await routerPolicies()).toEqual([]);
    await cluster.apply(doc('NetworkACL', 'edge', { subnetRefs: [{ name: 'b' }], rules }));
    await waitFor(async () => (await switchAcls('b')).length === 3, {
      timeoutMs: 30_000,
      what: 'two Ingress rules beside the foreign ACL',
      describe: async () => (await switchAcls('b')).join('\n'),
    });
    expect(await switchAcls('b')).toContain('to-lport 5 (ip4) allow');
    const b2 = (await cluster.read(ref('Subnet', 'b'))).metadata?.uid ?? '';
    expect(await routerPolicies()).toEqual([
      `32667 inport == "kcloud-rtr-${b2}" && ip4 && ip4.dst == 10.0.2.0/24 && icmp4 drop`,
    ]);
  });

  it('keeps a Subnet with the NetworkACL that took it first', async () => {
    const before = await ownedAclCount();
    await cluster.apply(doc('NetworkACL', 'late', { subnetRefs: [{ name: 'b' }], rules }));
    expect(await reason('NetworkACL', 'late')).toBe('SubnetHasNetworkACL');
    await cluster.apply(doc('NetworkACL', 'ghost', { subnetRefs: [{ name: 'zz' }], rules }));
    expect(await reason('NetworkACL', 'ghost')).toBe('SubnetNotFound');
    expect(await ownedAclCount()).toBe(before);
    // Once the holder lets go, the waiting one takes the Subnet.
    await del('NetworkACL', 'edge');
    await cluster.waitForCondition(ref('NetworkACL', 'late'), 'Ready', 'True', 60_000);
    expect(await ownedAclCount()).toBe(3);
  });

  it('removes its ACLs when deleted, and a Subnet with it', async () => {
    await del('NetworkACL', 'ghost');
    await del('NetworkACL', 'late');
    await cluster.waitForGone(ref('NetworkACL', 'late'));
    await waitFor(async () => (await ownedAclCount()) === 0, {
      timeoutMs: 30_000,
      what: 'no NetworkACL ACL left',
    });
    expect(await switchAcls('b')).toEqual(['to-lport 5 (ip4) allow']);
    expect(await routerPolicies()).toEqual([]);
  });
});
