import { describe, expect, it } from '@jest/globals';
import { desiredPeering, freeLink, overlappingCidrs, recordedLink } from './peering.ts';

const owner = { kind: 'VPCPeering', namespace: 'ns', name: 'a-b', uid: 'u1' };

describe('peering rows', () => {
  it('join the two routers with peer ports on one link and route each to the other', () => {
    const d = desiredPeering(
      owner,
      { vpcUid: 'va', cidrs: ['10.1.0.0/16'] },
      { vpcUid: 'vb', cidrs: ['10.2.0.0/16', '10.3.0.0/16'] },
      '169.254.0.4/30',
    );
    const [a, b] = d.sides;
    expect(a?.router).toBe('kcloud-vpc-va');
    expect(a?.port).toMatchObject({
      name: 'kcloud-pcx-u1-a',
      networks: ['169.254.0.5/30'],
      peer: 'kcloud-pcx-u1-b',
    });
    expect(a?.port.external_ids['kcloud.io/link']).toBe('169.254.0.4/30');
    expect(b?.port).toMatchObject({ networks: ['169.254.0.6/30'], peer: 'kcloud-pcx-u1-a' });
    expect(a?.routes.map((r) => [r.ip_prefix, r.nexthop, r.output_port, r.route_table])).toEqual([
      ['10.2.0.0/16', '169.254.0.6', 'kcloud-pcx-u1-a', ''],
      ['10.3.0.0/16', '169.254.0.6', 'kcloud-pcx-u1-a', ''],
    ]);
    expect(b?.routes.map((r) => [r.ip_prefix, r.nexthop])).toEqual([
      ['10.1.0.0/16', '169.254.0.5'],
    ]);
    expect(a?.routes[0]?.external_ids['kcloud.io/uid']).toBe('u1');
  });

  it('take the lowest link no other peering uses', () => {
    expect(freeLink([])).toBe('169.254.0.0/30');
    expect(freeLink(['169.254.0.1/30', '169.254.0.2/30', '169.254.0.9/30'])).toBe('169.254.0.4/30');
  });

  it('trust only a recorded link of the range', () => {
    expect(recordedLink({ 'kcloud.io/link': '169.254.0.8/30' })).toBe('169.254.0.8/30');
    expect(recordedLink({ 'kcloud.io/link': '10.0.0.0/30' })).toBeUndefined();
    expect(recordedLink({ 'kcloud.io/link': '169.254.0.8/29' })).toBeUndefined();
    expect(recordedLink({ 'kcloud.io/link': 'junk' })).toBeUndefined();
    expect(recordedLink({})).toBeUndefined();
  });

  it('name every pair of overlapping ranges', () => {
    expect(overlappingCidrs(['10.0.0.0/16', '10.9.0.0/16'], ['10.0.128.0/17'])).toEqual([
      ['10.0.0.0/16', '10.0.128.0/17'],
    ]);
    expect(overlappingCidrs(['10.0.0.0/16'], ['10.1.0.0/16'])).toEqual([]);
  });
});
