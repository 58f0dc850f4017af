// A provider network on a chassis: an Open vSwitch bridge OVN's localnet ports reach through
// ovn-bridge-mappings (physnet:bridge). On one machine a network namespace plugged into the
// bridge (startGuest with `bridge`) plays the network outside OVN, such as the internet an
// EIP pool's addresses live on. Loopback only: the bridge has no physical port.
import { check, vsctl } from './ctl.ts';
import type { OvnLayout } from './layout.ts';

export interface ProviderNetwork {
  /** The physical network name, as an EIPPool's providerNetwork names it. */
  physnet: string;
  /** The bridge; br-ex by default. */
  bridge?: string;
}

/** ovs-vsctl arguments: a userspace bridge (like br-int), mapped to the physical network. */
export function providerNetworkArgs(net: ProviderNetwork): string[] {
  const bridge = net.bridge ?? 'br-ex';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(net.physnet) || !/^[a-z0-9-]{1,15}$/.test(bridge)) {
    throw new Error(`provider network ${net.physnet}:${bridge} is not a usable name`);
  }
  return [
    '--may-exist',
    'add-br',
    bridge,
    '--',
    'set',
    'Bridge',
    bridge,
    'datapath_type=netdev',
    '--',
    'set',
    'Open_vSwitch',
    '.',
    `external_ids:ovn-bridge-mappings=${net.physnet}:${bridge}`,
  ];
}

/** Adds the bridge and the mapping to the chassis' Open vSwitch; idempotent. */
export async function addProviderNetwork(layout: OvnLayout, net: ProviderNetwork): Promise<void> {
  await check(vsctl(layout, providerNetworkArgs(net)), `adding provider network ${net.physnet}`);
}
