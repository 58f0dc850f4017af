// What ovn-controller saw of each VM, by MAC, from its log: when it bound the VM's port to this
// chassis (the tap in br-int) and when it answered the guest's DHCP request (DHCPACK). The log
// is the only place these are recorded with a time; together they split a guest's time to its
// first ping reply into boot, lease, and the network path.
import { readFile } from 'node:fs/promises';

export interface OvnEvents {
  /** Times (ms since the epoch) each MAC's port was claimed, in log order. */
  claimed: Map<string, number[]>;
  /** Times each MAC was sent a DHCPACK. */
  leased: Map<string, number[]>;
}

const line =
  /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|\d+\|[^|]+\|INFO\|(?:.*: Claiming ([0-9a-f:]{17}) |DHCPACK ([0-9a-f:]{17}) )/;

export function parseOvnEvents(log: string): OvnEvents {
  const out: OvnEvents = { claimed: new Map(), leased: new Map() };
  const add = (m: Map<string, number[]>, mac: string, at: number) => {
    m.set(mac, [...(m.get(mac) ?? []), at]);
  };
  for (const l of log.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    const at = Date.parse(m[1] ?? '');
    if (m[2] !== undefined) add(out.claimed, m[2], at);
    if (m[3] !== undefined) add(out.leased, m[3], at);
  }
  return out;
}

export async function readOvnEvents(logFile: string): Promise<OvnEvents> {
  return parseOvnEvents(await readFile(logFile, 'utf8'));
}

/** What ovn-controller saw of one VM, in milliseconds from the run's start (apply or overlay). */
export interface NetworkSteps {
  /** Its port bound to this chassis. */
  portBound?: number;
  /** Its guest sent a DHCPACK. */
  leased?: number;
}

/** A run's VM as the log knows it: its NIC's MAC, and when the run started. */
export interface VmRun {
  mac: string;
  startedAt: number;
  network?: NetworkSteps;
}

/** Fills in each run's network steps from ovn-controller's log. */
export function addNetworkSteps(runs: VmRun[], events: OvnEvents): void {
  for (const r of runs) {
    r.network = {
      portBound: firstAfter(events.claimed.get(r.mac), r.startedAt),
      leased: firstAfter(events.leased.get(r.mac), r.startedAt),
    };
  }
}

/** The first of `times` at or after `since`, as milliseconds after it. */
export function firstAfter(times: number[] | undefined, since: number): number | undefined {
  const t = times?.find((x) => x >= since);
  return t === undefined ? undefined : t - since;
}
