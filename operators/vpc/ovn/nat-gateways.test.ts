import { describe, expect, it } from '@jest/globals';
import { desiredNatRows, desiredPortForwards } from './nat-gateways.ts';

const owner = { kind: 'NATGateway', namespace: 'ns', name: 'gw', uid: 'u1' };

describe('the OVN rows of a NATGateway', () => {
  it('makes each SNAT rule a snat row of its range to the EIP, naming the rule and the owner', () => {
    expect(
      desiredNatRows(owner, 'vpc-1', [
        { rule: 'web', logicalIp: '10.0.1.0/24', externalIp: '198.51.100.10' },
      ]),
    ).toEqual([
      {
        type: 'snat',
        external_ip: '198.51.100.10',
        logical_ip: '10.0.1.0/24',
        external_ids: {
          'kcloud.io/kind': 'NATGateway',
          'kcloud.io/namespace': 'ns',
          'kcloud.io/name': 'gw',
          'kcloud.io/uid': 'u1',
          'kcloud.io/vpc-uid': 'vpc-1',
          'kcloud.io/rule': 'web',
        },
      },
    ]);
  });

  it('makes the DNAT rules VIPs of one load balancer per protocol, and none for a protocol unused', () => {
    const lbs = desiredPortForwards(owner, 'vpc-1', [
      {
        rule: 'a',
        protocol: 'TCP',
        externalIp: '198.51.100.10',
        externalPort: 8080,
        internalIp: '10.0.1.10',
        internalPort: 80,
      },
      {
        rule: 'b',
        protocol: 'TCP',
        externalIp: '198.51.100.11',
        externalPort: 443,
        internalIp: '10.0.1.11',
        internalPort: 8443,
      },
    ]);
    expect(lbs.map((l) => [l.name, l.protocol, l.vips])).toEqual([
      [
        'kcloud-natgw-u1-tcp',
        'tcp',
        { '198.51.100.10:8080': '10.0.1.10:80', '198.51.100.11:443': '10.0.1.11:8443' },
      ],
    ]);
    expect(desiredPortForwards(owner, 'vpc-1', [])).toEqual([]);
  });
});
