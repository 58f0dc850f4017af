import { describe, expect, it } from '@jest/globals';
import { NetworkInterface, SecurityGroup, Subnet, VPC } from '../../operators/vpc/api/index.ts';
import {
  expectedNb,
  fixedProbeAddress,
  probeCidr,
  rule,
  rulesOfGroup,
  scaleObjects,
  subnetCidr,
  subnetPrefixFor,
} from './topology.ts';

describe('subnetPrefixFor', () => {
  it('picks the smallest Subnet that holds its share beside network, broadcast and gateway', () => {
    expect(subnetPrefixFor(5000, 50)).toBe(25); // 100 each: a /25 has 125 usable
    expect(subnetPrefixFor(125 * 50, 50)).toBe(25);
    expect(subnetPrefixFor(126 * 50, 50)).toBe(24);
    expect(subnetPrefixFor(1, 1)).toBe(29);
  });

  it('refuses what does not fit below the probe Subnet', () => {
    expect(() => subnetPrefixFor(70_000 * 300, 300)).toThrow('do not fit');
    expect(() => subnetPrefixFor(60_000 * 256, 256)).toThrow('do not fit');
  });
});

describe('subnetCidr', () => {
  it('lays Subnets end to end from the start of the VPC', () => {
    expect(subnetCidr(0, 25)).toBe('10.0.0.0/25');
    expect(subnetCidr(1, 25)).toBe('10.0.0.128/25');
    expect(subnetCidr(49, 25)).toBe('10.0.24.128/25');
    expect(subnetCidr(256, 24)).toBe('10.1.0.0/24');
  });
});

describe('rulesOfGroup', () => {
  it('spreads the rules as evenly as they go, and all of them', () => {
    const counts = Array.from({ length: 3 }, (_, g) => rulesOfGroup(g, 3, 200));
    expect(counts).toEqual([67, 67, 66]);
  });
});

describe('scaleObjects', () => {
  const sizes = { subnets: 5, nics: 23, securityGroups: 3, rules: 31 };
  const o = scaleObjects('ns', sizes);

  it('builds objects their own schemas accept', () => {
    expect(VPC.validate(o.vpc)).toEqual({ ok: true });
    for (const s of o.subnets) expect(Subnet.validate(s)).toEqual({ ok: true });
    for (const g of o.groups) expect(SecurityGroup.validate(g)).toEqual({ ok: true });
    for (const n of o.nics) expect(NetworkInterface.validate(n)).toEqual({ ok: true });
  });

  it('has the sizes asked for, with distinct rule names in each group', () => {
    expect(o.subnets).toHaveLength(5);
    expect(o.nics).toHaveLength(23);
    const rules = o.groups.map((g) => g.spec.rules ?? []);
    expect(rules.flat()).toHaveLength(31);
    for (const r of rules) expect(new Set(r.map((x) => x.name)).size).toBe(r.length);
    expect(new Set(o.subnets.map((s) => s.spec.cidrBlock)).size).toBe(5);
  });

  it('spreads NICs over the Subnets and groups, and refers only to objects that exist', () => {
    const subnets = new Set(o.subnets.map((s) => s.metadata.name));
    const groups = new Set(o.groups.map((g) => g.metadata.name));
    expect(o.nics[7]?.spec.subnetRef.name).toBe('s-002');
    expect(o.nics[7]?.spec.securityGroupRefs).toEqual([{ name: 'sg-001' }]);
    for (const n of o.nics) {
      expect(subnets.has(n.spec.subnetRef.name)).toBe(true);
      for (const r of n.spec.securityGroupRefs ?? []) expect(groups.has(r.name)).toBe(true);
    }
    for (const r of o.groups.flatMap((g) => g.spec.rules ?? [])) {
      if (r.remoteSecurityGroupRef) expect(groups.has(r.remoteSecurityGroupRef.name)).toBe(true);
    }
  });

  it('expects one port, two memberships per NIC, and one ACL per rule and per group', () => {
    expect(expectedNb(sizes)).toEqual({
      nicPorts: 23,
      baselineMembers: 23,
      groupMembers: 23,
      groupAcls: 34,
    });
  });
});

describe('rule', () => {
  it('never names another group when there is only one', () => {
    for (let k = 0; k < 40; k++) expect(rule(k, 0, 1).remoteSecurityGroupRef).toBeUndefined();
  });
});

describe('fixedProbeAddress', () => {
  it('counts down from the top of the probe Subnet, with distinct MACs', () => {
    expect(probeCidr).toBe('10.255.255.0/24');
    expect(fixedProbeAddress(0)).toEqual({
      ipAddress: '10.255.255.254',
      macAddress: '0a:b0:00:00:00:00',
    });
    expect(fixedProbeAddress(17).ipAddress).toBe('10.255.255.237');
    expect(fixedProbeAddress(17).macAddress).toBe('0a:b0:00:00:00:11');
    expect(() => fixedProbeAddress(253)).toThrow(RangeError);
  });
});
