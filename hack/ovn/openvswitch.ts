import type { OvnOptions } from './components.ts';
import { check, vsctl } from './ctl.ts';
import type { OvnLayout } from './layout.ts';
import { encapAddress, loopbackEncap } from './underlay.ts';

/**
 * The ovs-vsctl arguments that make this Open vSwitch one OVN chassis: its name, where the
 * southbound database is, how other chassis reach it, and an integration bridge on the
 * userspace datapath. `--no-wait`, because ovs-vswitchd starts after this; the settings are
 * kept in conf.db, and applying them again is harmless.
 */
export function chassisConfig(
  layout: OvnLayout,
  options: OvnOptions,
  encapIp: string = loopbackEncap,
): string[] {
  return [
    '--no-wait',
    'init',
    '--',
    'set',
    'Open_vSwitch',
    '.',
    `external_ids:system-id=${options.chassis}`,
    `external_ids:ovn-remote=unix:${layout.sb.socket}`,
    'external_ids:ovn-encap-type=geneve',
    // Its underlay address once it is on one (hack/ovn/underlay.ts), so a restart keeps it.
    `external_ids:ovn-encap-ip=${encapIp}`,
    // For any bridge ovn-controller creates itself.
    'external_ids:ovn-bridge-datapath-type=netdev',
    '--',
    '--may-exist',
    'add-br',
    'br-int',
    '--',
    'set',
    'Bridge',
    'br-int',
    'datapath_type=netdev',
    // As ovn-controller would create it: only the flows it installs forward anything.
    'fail_mode=secure',
    'other_config:disable-in-band=true',
  ];
}

export async function configureChassis(layout: OvnLayout, options: OvnOptions): Promise<void> {
  const args = chassisConfig(layout, options, await encapAddress(layout));
  await check(vsctl(layout, args), 'configuring Open vSwitch');
}
