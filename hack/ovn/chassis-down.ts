import { rm } from 'node:fs/promises';
import { chassisLayout, defaultChassisDir, type ChassisRef } from './chassis-layout.ts';
import { sbctl } from './ctl.ts';
import { removeAllGuests } from './guests.ts';
import type { OvnLayout } from './layout.ts';
import { dataPlaneNetns, readState, stopRecorded, writeState } from './state.ts';
import { providerLink } from './provider-network.ts';
import { readUnderlay, unlinkBridges, unlinkFromHub, writeUnderlay } from './underlay.ts';

export interface ChassisDownOptions {
  log?: (line: string) => void;
  /** Also delete its run folder (its Open vSwitch database and logs). */
  purge?: boolean;
}

/**
 * Stops an extra chassis: its guests, then exactly the processes `upChassis` recorded (the
 * kernel deletes its namespace's devices, and with them its end of the underlay), then removes
 * it from the southbound database, so the other chassis drop their tunnels to it, and the
 * hub's end of its link. Safe to repeat, and when the OVN itself is already down.
 */
export async function downChassis(
  ovn: OvnLayout,
  ref: ChassisRef,
  opts: ChassisDownOptions = {},
): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const hub = await readUnderlay(ovn);
  const runDir = ref.runDir ?? hub?.members?.[ref.name]?.runDir ?? defaultChassisDir(ovn, ref.name);
  const layout = chassisLayout(ovn, runDir);
  for (const g of await removeAllGuests(layout)) log(`removed the guest of ${g.nic}`);
  const state = await readState(layout);
  if (state) {
    await stopRecorded(state);
    for (const p of state.processes) log(`stopped ${p.name} (pid ${String(p.pid)}) of ${ref.name}`);
    await writeState(layout, { ...state, processes: [] });
  }
  // A chassis stopped by signal stays registered (ovn-controller takes it for a restart).
  const del = await sbctl(ovn, ['--if-exists', 'chassis-del', ref.name], { timeoutSeconds: 5 });
  if (del.code !== 0)
    log(`chassis ${ref.name} stays in the southbound database: ${del.stderr.trim()}`);
  const hubNetns = await dataPlaneNetns(ovn).catch(() => undefined);
  const hubEnd = hubNetns === undefined ? undefined : { layout: ovn, netns: hubNetns };
  await unlinkFromHub(hubEnd, ref.name);
  for (const net of hub?.members?.[ref.name]?.providerNetworks ?? []) {
    await unlinkBridges(hubEnd, providerLink(ref.name, net.bridge ?? 'br-ex'));
  }
  if (hub?.members?.[ref.name]) {
    const { [ref.name]: _gone, ...members } = hub.members;
    await writeUnderlay(ovn, { ...hub, members });
  }
  if (opts.purge) await rm(layout.runDir, { recursive: true, force: true });
}

/** Stops every extra chassis linked to this OVN: before the OVN's own data plane goes. */
export async function downAllChassis(ovn: OvnLayout, opts: ChassisDownOptions = {}): Promise<void> {
  const members = (await readUnderlay(ovn))?.members ?? {};
  for (const [name, m] of Object.entries(members)) {
    await downChassis(ovn, { name, runDir: m.runDir }, opts);
  }
}
