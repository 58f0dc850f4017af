// A provider network on a chassis: an Open vSwitch bridge OVN's localnet ports reach through
// ovn-bridge-mappings (physnet:bridge). On one machine a network namespace plugged into the
// bridge (startGuest with `bridge`) plays the network outside OVN, such as the internet an
// EIP pool's addresses live on. Loopback only: the bridge has no physical port; an extra
// chassis' bridge of that network is a veth away from the hub's.
import { check, vsctl } from './ctl.ts';
import type { OvnLayout } from './layout.ts';
import { linkBridges, vethNames, type BridgeLink, type UnderlayEnd } from './underlay.ts';

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

/** The link of an extra chassis' provider bridge to the hub's bridge of the same name. */
export function providerLink(chassis: string, bridge: string): BridgeLink {
  return { bridge, links: vethNames('px', `${chassis}/${bridge}`) };
}

/**
 * Gives an extra chassis the provider network too, on the same segment as the hub's: its own
 * bridge and mapping, and a veth from it to the hub's bridge, as two hosts' uplinks share one
 * physical network. The hub's bridge must be there first (addProviderNetwork on the OVN).
 */
export async function linkProviderNetwork(
  hub: UnderlayEnd,
  member: UnderlayEnd,
  memberPid: number,
  chassis: string,
  net: ProviderNetwork,
): Promise<void> {
  const bridge = net.bridge ?? 'br-ex';
  if ((await vsctl(hub.layout, ['br-exists', bridge])).code !== 0) {
    throw new Error(
      `the OVN's own chassis has no ${bridge}: add provider network ${net.physnet} to it (addProviderNetwork) before linking ${chassis} to it`,
    );
  }
  await addProviderNetwork(member.layout, net);
  await linkBridges(hub, member, memberPid, providerLink(chassis, bridge));
}
