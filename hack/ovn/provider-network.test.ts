import { describe, expect, it } from '@jest/globals';
import { providerLink, providerNetworkArgs } from './provider-network.ts';
import { underlayLinks } from './underlay.ts';

describe('a provider network', () => {
  it('is a userspace bridge mapped to its physical network name', () => {
    expect(providerNetworkArgs({ physnet: 'physnet1' })).toEqual([
      '--may-exist',
      'add-br',
      'br-ex',
      '--',
      'set',
      'Bridge',
      'br-ex',
      'datapath_type=netdev',
      '--',
      'set',
      'Open_vSwitch',
      '.',
      'external_ids:ovn-bridge-mappings=physnet1:br-ex',
    ]);
  });

  it('refuses names Open vSwitch or Linux would not take', () => {
    expect(() => providerNetworkArgs({ physnet: 'phys net' })).toThrow('not a usable name');
    expect(() => providerNetworkArgs({ physnet: 'p', bridge: 'a-bridge-name-too-long' })).toThrow(
      'not a usable name',
    );
  });

  it('links a chassis bridge to the hub by a veth pair of its own, apart from the underlay', () => {
    const link = providerLink('kcloud-gw-1', 'br-ex');
    expect(link.bridge).toBe('br-ex');
    expect(link.links.hub).toMatch(/^pxh-[0-9a-f]{8}$/);
    expect(link.links.member).toBe(link.links.hub.replace('pxh-', 'pxc-'));
    expect(providerLink('kcloud-gw-1', 'br-ex2').links.hub).not.toBe(link.links.hub);
    expect(link.links.hub.slice(4)).not.toBe(underlayLinks('kcloud-gw-1').hub.slice(4));
  });
});
