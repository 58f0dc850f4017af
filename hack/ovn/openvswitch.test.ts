import { describe, expect, it } from '@jest/globals';
import { ovnLayout } from './layout.ts';
import { chassisConfig } from './openvswitch.ts';

describe('the chassis configuration of Open vSwitch', () => {
  const args = chassisConfig(ovnLayout('/runs/ovn-1'), { dataPlane: true, chassis: 'hv1' });

  it('names the chassis and points it at the southbound database of this instance', () => {
    expect(args).toEqual(
      expect.arrayContaining([
        'external_ids:system-id=hv1',
        'external_ids:ovn-remote=unix:/runs/ovn-1/ovnsb_db.sock',
        'external_ids:ovn-encap-type=geneve',
        'external_ids:ovn-encap-ip=127.0.0.1',
        'external_ids:ovn-bridge-datapath-type=netdev',
      ]),
    );
  });

  it('creates br-int on the userspace datapath without waiting for ovs-vswitchd', () => {
    expect(args[0]).toBe('--no-wait');
    const addBr = args.indexOf('add-br');
    expect(args[addBr - 1]).toBe('--may-exist');
    expect(args[addBr + 1]).toBe('br-int');
    expect(args.slice(addBr + 2)).toEqual(
      expect.arrayContaining(['datapath_type=netdev', 'fail_mode=secure']),
    );
  });

  it('takes the underlay address as the tunnel endpoint once the chassis has one', () => {
    const onUnderlay = chassisConfig(
      ovnLayout('/runs/ovn-1'),
      { dataPlane: true, chassis: 'hv1' },
      '172.31.255.1',
    );
    expect(onUnderlay).toContain('external_ids:ovn-encap-ip=172.31.255.1');
    expect(onUnderlay).not.toContain('external_ids:ovn-encap-ip=127.0.0.1');
  });
});
