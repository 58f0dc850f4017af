import { describe, expect, it } from '@jest/globals';
import { burstKbit, desiredInterfaceQoS } from './bandwidth.ts';

const owner = { kind: 'NetworkInterface', namespace: 't1', name: 'web-1', uid: 'u1' };
const ids = (direction: string) => ({
  'kcloud.io/kind': 'NetworkInterface',
  'kcloud.io/namespace': 't1',
  'kcloud.io/name': 'web-1',
  'kcloud.io/uid': 'u1',
  'kcloud.io/vpc-uid': 'v1',
  'kcloud.io/bandwidth': direction,
});

describe('an interface’s bandwidth as QoS rows', () => {
  it('limits what it sends on its inport and what it receives on its outport, in kbit/s', () => {
    const rows = desiredInterfaceQoS({
      owner,
      vpcUid: 'v1',
      portName: 'kcloud-eni-u1',
      bandwidth: { egressMbps: 10, ingressMbps: 20 },
    });
    expect(rows).toEqual([
      {
        priority: 1000,
        direction: 'from-lport',
        match: 'inport == "kcloud-eni-u1"',
        action: {},
        bandwidth: { rate: 10_000, burst: 8_000 },
        external_ids: ids('egress'),
      },
      {
        priority: 1000,
        direction: 'to-lport',
        match: 'outport == "kcloud-eni-u1"',
        action: {},
        bandwidth: { rate: 20_000, burst: 16_000 },
        external_ids: ids('ingress'),
      },
    ]);
  });

  it('writes a row only for a direction with a limit, and none without limits', () => {
    const one = desiredInterfaceQoS({
      owner,
      vpcUid: 'v1',
      portName: 'p',
      bandwidth: { ingressMbps: 5 },
    });
    expect(one.map((r) => r.direction)).toEqual(['to-lport']);
    expect(desiredInterfaceQoS({ owner, vpcUid: 'v1', portName: 'p', bandwidth: {} })).toEqual([]);
    expect(
      desiredInterfaceQoS({ owner, vpcUid: 'v1', portName: 'p', bandwidth: undefined }),
    ).toEqual([]);
  });

  it('bursts 0.8 s at the rate, and never less than one offloaded 64 KiB frame fits', () => {
    expect(burstKbit(100_000_000)).toBe(80_000_000);
    expect(burstKbit(10_000)).toBe(8_000);
    expect(burstKbit(1_000)).toBe(1_000);
  });
});
