import { describe, expect, it } from '@jest/globals';
import { rowIdentity } from './ownership.ts';
import { aclPriority, baselineACLs, baselineGroup, securityGroupACLs } from './security-groups.ts';

const web = { kind: 'SecurityGroup', namespace: 'ns', name: 'web', uid: 'aaaa-bbbb' };
const pg = 'kcloud_sg_aaaa_bbbb';
const resolve = (name: string) => ({ db: 'cccc-dddd' })[name];

describe('security groups as OVN ACLs', () => {
  it('deny inbound and allow outbound for every interface by default', () => {
    const group = baselineGroup('1111-2222');
    expect(group).toBe('kcloud_interfaces_1111_2222');
    expect(baselineACLs(group).map((a) => [a.direction, a.match, a.action])).toEqual([
      ['from-lport', 'inport == @kcloud_interfaces_1111_2222 && ip', 'allow-related'],
      ['to-lport', 'outport == @kcloud_interfaces_1111_2222 && ip', 'drop'],
    ]);
  });

  it('allow inbound from members of the same group', () => {
    const [same] = securityGroupACLs(web, [], resolve);
    expect(same).toMatchObject({
      priority: aclPriority.sameGroup,
      direction: 'to-lport',
      match: `outport == @${pg} && ip4 && ip4.src == $${pg}_ip4`,
      action: 'allow-related',
    });
  });

  it('tell a rule named like a built-in ACL apart from the built-in one', () => {
    const acls = securityGroupACLs(
      web,
      [{ name: 'same-group', direction: 'Ingress', protocol: 'TCP', remoteCIDR: '10.0.0.0/8' }],
      resolve,
    );
    expect(acls.map((a) => [a.name, a.direction])).toEqual([
      ['same-group', 'to-lport'],
      ['same-group', 'to-lport'],
    ]);
    const identities = acls.map((a) => rowIdentity(a.external_ids, a.name));
    expect(new Set(identities).size).toBe(2);
    // Every built-in row is marked as such, whatever rules the user names.
    for (const acl of [...baselineACLs(baselineGroup('1111-2222')), acls[0]]) {
      expect(acl?.external_ids['kcloud.io/builtin']).toBeDefined();
      expect(acl?.external_ids['kcloud.io/rule']).toBeUndefined();
    }
    expect(acls[1]?.external_ids['kcloud.io/rule']).toBe('same-group');
  });

  it('turn each rule into one ACL with protocol, ports and peer', () => {
    const acls = securityGroupACLs(
      web,
      [
        {
          name: 'http',
          direction: 'Ingress',
          protocol: 'TCP',
          ports: { from: 80, to: 80 },
          remoteCIDR: '0.0.0.0/0',
        },
        {
          name: 'dns',
          direction: 'Egress',
          protocol: 'UDP',
          ports: { from: 53, to: 53 },
          remoteCIDR: '10.0.0.2/32',
        },
        {
          name: 'high',
          direction: 'Ingress',
          protocol: 'TCP',
          ports: { from: 8000, to: 8999 },
          remoteSecurityGroupRef: { name: 'db' },
        },
        { name: 'ping', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '192.168.0.0/16' },
        {
          name: 'block',
          direction: 'Ingress',
          protocol: 'All',
          remoteCIDR: '10.9.0.0/16',
          action: 'Deny',
          priority: 500,
        },
      ],
      resolve,
    );
    expect(acls.slice(1).map((a) => [a.name, a.direction, a.priority, a.action, a.match])).toEqual([
      ['http', 'to-lport', 2200, 'allow-related', `outport == @${pg} && ip4 && tcp.dst == 80`],
      [
        'dns',
        'from-lport',
        2200,
        'allow-related',
        `inport == @${pg} && ip4 && ip4.dst == 10.0.0.2/32 && udp.dst == 53`,
      ],
      [
        'high',
        'to-lport',
        2200,
        'allow-related',
        `outport == @${pg} && ip4 && ip4.src == $kcloud_sg_cccc_dddd_ip4 && tcp.dst >= 8000 && tcp.dst <= 8999`,
      ],
      [
        'ping',
        'to-lport',
        2200,
        'allow-related',
        `outport == @${pg} && ip4 && ip4.src == 192.168.0.0/16 && icmp4`,
      ],
      ['block', 'to-lport', 3001, 'drop', `outport == @${pg} && ip4 && ip4.src == 10.9.0.0/16`],
    ]);
    expect(acls.every((a) => a.external_ids['kcloud.io/uid'] === web.uid)).toBe(true);
  });

  it('let a higher priority win, and Deny win at equal priority', () => {
    expect(aclPriority.rule(101, 'Allow')).toBeGreaterThan(aclPriority.rule(100, 'Deny'));
    expect(aclPriority.rule(100, 'Deny')).toBeGreaterThan(aclPriority.rule(100, 'Allow'));
    expect(aclPriority.rule(1, 'Allow')).toBeGreaterThan(aclPriority.sameGroup);
    expect(aclPriority.rule(1000, 'Deny')).toBeLessThanOrEqual(32767);
  });

  it('refuse a rule naming a SecurityGroup that does not exist', () => {
    expect(() =>
      securityGroupACLs(
        web,
        [
          {
            name: 'x',
            direction: 'Ingress',
            protocol: 'All',
            remoteSecurityGroupRef: { name: 'nope' },
          },
        ],
        resolve,
      ),
    ).toThrow('SecurityGroup nope not found');
  });
});
