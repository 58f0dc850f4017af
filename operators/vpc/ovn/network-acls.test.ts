import { describe, expect, it } from '@jest/globals';
import { networkACLs, networkAclPolicies, networkAclPriority } from './network-acls.ts';

const owner = { kind: 'NetworkACL', namespace: 'ns', name: 'edge', uid: 'n-1' };
const routerSide = '"kcloud-rtr-s-1-ls"';

describe('NetworkACL rules as switch ACLs and router policies', () => {
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
    {
      ruleNumber: 100,
      direction: 'Egress',
      protocol: 'UDP',
      ports: { from: 1024, to: 65535 },
      cidr: '192.168.0.0/16',
      action: 'Allow',
    },
  ] as const;
  const acls = networkACLs(owner, 's-1', rules);
  const policies = networkAclPolicies(owner, 's-1', rules);

  it('check traffic entering the Subnet from the router against Ingress rules', () => {
    expect(acls[0]).toMatchObject({
      name: 'nacl-in-100',
      direction: 'from-lport',
      match: `inport == ${routerSide} && ip4 && tcp.dst == 22`,
      action: 'drop',
    });
    expect(acls[1]).toMatchObject({
      direction: 'from-lport',
      match: `inport == ${routerSide} && ip4 && ip4.src == 10.0.0.0/8`,
      action: 'allow-stateless',
    });
  });

  it('check traffic leaving the Subnet, at the router, against Egress rules', () => {
    expect(acls).toHaveLength(2);
    expect(policies).toEqual([
      {
        priority: 32667,
        match:
          'inport == "kcloud-rtr-s-1" && ip4 && ip4.dst == 192.168.0.0/16 && udp.dst >= 1024 && udp.dst <= 65535',
        action: 'allow',
        external_ids: expect.objectContaining({
          'kcloud.io/rule': 'nacl-out-100',
          'kcloud.io/subnet-uid': 's-1',
        }) as unknown,
      },
    ]);
  });

  it('check lower rule numbers first and name their owner', () => {
    expect(acls.map((a) => a.priority)).toEqual([32667, 32567]);
    expect(networkAclPriority(1)).toBeGreaterThan(networkAclPriority(32766));
    expect(networkAclPriority(32766)).toBeGreaterThanOrEqual(0);
    expect(acls[0]?.external_ids).toMatchObject({
      'kcloud.io/kind': 'NetworkACL',
      'kcloud.io/uid': 'n-1',
      'kcloud.io/rule': 'nacl-in-100',
    });
  });
});
