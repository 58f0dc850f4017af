import { describe, expect, it } from '@jest/globals';
import { providerNetworkArgs } from './provider-network.ts';

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
});
