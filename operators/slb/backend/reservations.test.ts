import { describe, expect, it } from '@jest/globals';
import type { NetworkInterfaceObject } from '../../vpc/index.ts';
import type { LoadBalancerObject } from '../api/index.ts';
import { reservation, stale } from './reservations.ts';

const lb = {
  metadata: { name: 'lb', namespace: 'ns', uid: 'uid-lb' },
  spec: {
    subnetRef: { name: 's1' },
    vip: '10.0.1.100',
    listeners: [{ name: 'l', protocol: 'TCP', port: 80, backendPool: 'p' }],
    backendPools: [{ name: 'p', members: [], healthCheck: {} }],
  },
} as unknown as LoadBalancerObject;

const nic = (name: string, reserveOnly: boolean | undefined, ownerUid = 'uid-lb') =>
  ({
    metadata: { name, namespace: 'ns', ownerReferences: [{ uid: ownerUid }] },
    spec: { subnetRef: { name: 's1' }, ...(reserveOnly === undefined ? {} : { reserveOnly }) },
  }) as unknown as NetworkInterfaceObject;

const nics = (...objs: NetworkInterfaceObject[]) => ({
  get: (key: string) => objs.find((o) => `ns/${o.metadata.name ?? ''}` === key),
});

describe("a LoadBalancer's address interfaces", () => {
  it('makes the VIP interface reserve-only and the health-check source an ordinary one', () => {
    expect(reservation(lb, 'vip').spec).toEqual({
      subnetRef: { name: 's1' },
      ipAddress: '10.0.1.100',
      reserveOnly: true,
    });
    expect(reservation(lb, 'monitor').spec).toEqual({ subnetRef: { name: 's1' } });
  });

  it('applies again its own VIP interface that is not reserve-only, and nothing else', () => {
    expect(stale(nics(nic('lb-vip', undefined)), lb, 'vip')).toBe(true);
    expect(stale(nics(nic('lb-vip', false)), lb, 'vip')).toBe(true);
    expect(stale(nics(nic('lb-vip', true)), lb, 'vip')).toBe(false);
    // Another's interface of that name is refused elsewhere, never written over.
    expect(stale(nics(nic('lb-vip', undefined, 'uid-other')), lb, 'vip')).toBe(false);
    expect(stale(nics(), lb, 'vip')).toBe(false);
    expect(stale(nics(nic('lb-monitor', undefined)), lb, 'monitor')).toBe(false);
  });
});
