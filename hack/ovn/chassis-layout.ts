// An extra chassis of an OVN: Open vSwitch and ovn-controller in a run folder of their own,
// joined to the OVN's southbound database. Its layout is an ordinary OvnLayout whose northbound
// and southbound files are the OVN's, so every tool bound to a layout (vsctl, startGuest, the
// readiness probes, `down`) works on it as on the OVN's own chassis.
import path from 'node:path';
import type { RecordedProcess } from '../cluster/index.ts';
import { ovnLayout, type OvnLayout } from './layout.ts';

export function defaultChassisDir(ovn: OvnLayout, name: string): string {
  return path.join(ovn.runDir, 'chassis', name);
}

export function chassisLayout(ovn: OvnLayout, runDir: string): OvnLayout {
  const own = ovnLayout(runDir);
  if (own.runDir === ovn.runDir) {
    throw new Error(`a chassis needs a run folder of its own, not the OVN's ${ovn.runDir}`);
  }
  return { ...own, nb: ovn.nb, sb: ovn.sb };
}

/** A running extra chassis, as `upChassis` returns it. */
export interface Chassis {
  /** The chassis name (system-id). */
  readonly name: string;
  readonly runDir: string;
  /** Its own layout: vsctl(chassis.layout, …) talks to its Open vSwitch. */
  readonly layout: OvnLayout;
  /** Its tunnel endpoint on the underlay. */
  readonly address: string;
  /** Its ovs-vswitchd's namespace, where its br-int, br-ul and port devices are. */
  readonly netns: string;
  readonly processes: RecordedProcess[];
  /** False when everything already ran and nothing was started. */
  readonly started: boolean;
}

/** Which extra chassis: its name, and its run folder when not the default one. */
export interface ChassisRef {
  name: string;
  runDir?: string;
}
