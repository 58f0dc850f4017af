// Guests that outlive the command that made them: `hack/ovn.sh guest add <namespace>/<nic>`
// plugs a network namespace into br-int as a NetworkInterface's port, so a user can send
// packets through what the VPC operator programmed. Each guest's namespace is held by a
// detached `sleep` recorded by PID in the run folder's guests.json; `guest del` and `down`
// remove the port and stop that process, and the kernel then deletes the namespace and the
// veth pair.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  currentReadiness,
  hasExited,
  isOurs,
  startDetached,
  stopProcess,
  type ObjectWithStatus,
  type RecordedProcess,
} from '../cluster/index.ts';
import { nbctl, vsctl } from './ctl.ts';
import {
  guestLinks,
  inNetns,
  plugGuest,
  tool,
  unplugGuest,
  type GuestOptions,
  type Plugged,
} from './guest.ts';
import type { OvnLayout } from './layout.ts';
import { dataPlaneNetns } from './state.ts';

/** One guest as guests.json records it. */
export interface GuestRecord {
  /** The NetworkInterface, `namespace/name`. */
  nic: string;
  /** The guest's name: its veth ends are `<name>-o` (in br-int) and `<name>-g` (eth0). */
  name: string;
  portName: string;
  mac: string;
  /** `ip/prefix`. */
  address: string;
  gateway: string;
  /** The process that holds the guest's network namespace. */
  holder: RecordedProcess;
}

interface GuestsFile {
  guests: GuestRecord[];
}

export interface NicRef {
  namespace: string;
  name: string;
}

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** `namespace/name`, as a user names a NetworkInterface on the command line. */
export function parseNicRef(ref: string): NicRef {
  const [namespace = '', name = '', ...rest] = ref.split('/');
  if (rest.length > 0 || !dnsLabel.test(namespace) || !dnsSubdomain.test(name)) {
    throw new Error(
      `${JSON.stringify(ref)} does not name a NetworkInterface: give <namespace>/<name>, e.g. default/demo-web-1`,
    );
  }
  return { namespace, name };
}

/**
 * The guest's name, from the NIC's: Linux allows 15 bytes for an interface name and the
 * NIC's namespace and name together may be far longer, so a digest of both keeps two NICs
 * of the same name in two namespaces apart.
 */
export function guestNameFor(nic: NicRef): string {
  const digest = createHash('sha256').update(`${nic.namespace}/${nic.name}`).digest('hex');
  return `g${digest.slice(0, 10)}`;
}

/** A NetworkInterface as `kubectl get -o json` returns it. */
export interface NicObject extends ObjectWithStatus {
  status?: ObjectWithStatus['status'] & {
    portName?: string;
    macAddress?: string;
    ipAddress?: string;
    gatewayIP?: string;
    prefixLength?: number;
  };
}

/**
 * How the guest of a NetworkInterface is configured: its port, MAC, address and gateway, all
 * from the NIC's status. A NIC that is not Ready for its current generation has none yet.
 */
export function guestOptionsFor(ref: NicRef, nic: NicObject): GuestOptions {
  const readiness = currentReadiness({ ...nic, kind: 'NetworkInterface' });
  if (!readiness.ready) throw new Error(`${readiness.summary}; wait until it is Ready`);
  const s = nic.status ?? {};
  const missing = (['portName', 'macAddress', 'ipAddress', 'gatewayIP', 'prefixLength'] as const)
    .filter((k) => s[k] === undefined || s[k] === '')
    .map((k) => `status.${k}`);
  if (missing.length > 0) {
    throw new Error(
      `NetworkInterface ${ref.namespace}/${ref.name} is Ready without ${missing.join(', ')}`,
    );
  }
  return {
    name: guestNameFor(ref),
    ifaceId: s.portName ?? '',
    mac: s.macAddress ?? '',
    address: `${s.ipAddress ?? ''}/${String(s.prefixLength)}`,
    gateway: s.gatewayIP ?? '',
  };
}

function guestsFile(layout: OvnLayout): string {
  return path.join(layout.runDir, 'guests.json');
}

export function readGuests(layout: OvnLayout): GuestRecord[] {
  const file = guestsFile(layout);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as GuestsFile).guests;
}

async function writeGuests(layout: OvnLayout, guests: GuestRecord[]): Promise<void> {
  const file: GuestsFile = { guests };
  await writeFile(guestsFile(layout), JSON.stringify(file, null, 2) + '\n');
}

/** The namespace path of a guest whose holder runs: usable with `nsenter --net=`. */
export function guestNetns(g: GuestRecord): string {
  if (!isOurs(g.holder)) {
    throw new Error(
      `the guest of ${g.nic} has lost its namespace (pid ${String(g.holder.pid)} is gone): \`hack/ovn.sh guest del ${g.nic}\`, then add it again`,
    );
  }
  return `/proc/${String(g.holder.pid)}/ns/net`;
}

/** Starts a detached process in a new network namespace; resolves once it is in it. */
async function startHolder(layout: OvnLayout, name: string): Promise<RecordedProcess> {
  const sleepBin = tool('sleep');
  await mkdir(layout.logDir, { recursive: true });
  const started = startDetached(
    `guest ${name}`,
    tool('unshare'),
    ['--net', '--', sleepBin, 'infinity'],
    path.join(layout.logDir, `guest-${name}.log`),
  );
  // unshare keeps its PID and execs sleep once the namespace is made.
  const holder: RecordedProcess = { ...started, binary: sleepBin };
  const own = readlinkSync('/proc/self/ns/net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (isOurs(holder) && readlinkSync(`/proc/${String(holder.pid)}/ns/net`) !== own) {
      return holder;
    }
    if (hasExited(holder.pid)) {
      throw new Error(
        `unshare --net exited; see ${path.join(layout.logDir, `guest-${name}.log`)} (network namespaces need root)`,
      );
    }
    if (Date.now() > deadline) {
      await stopProcess(started);
      throw new Error('unshare --net did not start a namespace within 10 s');
    }
    await sleep(5);
  }
}

/**
 * Waits until ovn-controller has bound the port to this chassis, installed its flows for this
 * very interface and marked the logical port up: only then do packets flow.
 */
export async function waitBound(
  layout: OvnLayout,
  portName: string,
  ovsPort: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const up = await nbctl(layout, ['get', 'Logical_Switch_Port', portName, 'up'], {
      timeoutSeconds: 2,
    });
    const installed = await vsctl(
      layout,
      ['--if-exists', 'get', 'Interface', ovsPort, 'external_ids:ovn-installed'],
      { timeoutSeconds: 2 },
    );
    last = `logical port up: ${up.stdout.trim() || up.stderr.trim()}; ovn-installed: ${installed.stdout.trim() || '(not yet)'}`;
    if (up.stdout.trim() === 'true' && installed.stdout.trim() === '"true"') return;
    if (Date.now() > deadline) {
      throw new Error(
        `ovn-controller did not bind ${portName} to ${ovsPort} within ${String(timeoutMs / 1000)} s (${last}); is the VPC operator running against this OVN?`,
      );
    }
    await sleep(100);
  }
}

/**
 * Plugs a guest in for a NetworkInterface, configured from its status, and waits until OVN
 * has bound its port. A guest that already exists for the NIC with the same settings is kept.
 */
export async function addGuest(
  layout: OvnLayout,
  ref: NicRef,
  nic: NicObject,
): Promise<{ guest: GuestRecord; added: boolean }> {
  const opts = guestOptionsFor(ref, nic);
  const key = `${ref.namespace}/${ref.name}`;
  const guests = readGuests(layout);
  const existing = guests.find((g) => g.nic === key);
  if (existing && isOurs(existing.holder)) {
    const same =
      existing.portName === opts.ifaceId &&
      existing.mac === opts.mac &&
      existing.address === opts.address &&
      existing.gateway === opts.gateway;
    if (!same) {
      throw new Error(
        `${key} already has a guest with other settings (the NIC was recreated?): \`hack/ovn.sh guest del ${key}\` first`,
      );
    }
    await waitBound(layout, existing.portName, guestLinks(existing.name).port);
    return { guest: existing, added: false };
  }
  if (existing) await removeGuest(layout, existing);

  const holder = await startHolder(layout, opts.name);
  const record: GuestRecord = {
    nic: key,
    name: opts.name,
    portName: opts.ifaceId,
    mac: opts.mac,
    address: opts.address ?? '',
    gateway: opts.gateway ?? '',
    holder,
  };
  // Recorded before plugging, so `down` finds it whatever happens next.
  await writeGuests(layout, [...readGuests(layout).filter((g) => g.nic !== key), record]);
  const made: Plugged = { veth: false, port: false };
  try {
    await plugGuest(layout, opts, holder.pid, `/proc/${String(holder.pid)}/ns/net`, made);
    await waitBound(layout, opts.ifaceId, guestLinks(opts.name).port);
  } catch (err) {
    await unplugGuest(layout, opts.name, made);
    await stopProcess(holder);
    await writeGuests(
      layout,
      readGuests(layout).filter((g) => g.nic !== key),
    );
    throw err;
  }
  return { guest: record, added: true };
}

/**
 * Plugs every guest in again after ovs-vswitchd was restarted: the veth pairs went with its
 * network namespace, while the guests' own namespaces (held by their processes) stayed. Those
 * whose holder is gone are removed.
 */
export async function replugGuests(
  layout: OvnLayout,
): Promise<{ replugged: GuestRecord[]; failed: string[] }> {
  const replugged: GuestRecord[] = [];
  const failed: string[] = [];
  for (const g of readGuests(layout)) {
    if (!isOurs(g.holder)) {
      await removeGuest(layout, g);
      continue;
    }
    // The port's row outlived the device; the guest's eth0 went with its veth peer.
    await unplugGuest(layout, g.name, { veth: true, port: true });
    const opts: GuestOptions = {
      name: g.name,
      ifaceId: g.portName,
      mac: g.mac,
      address: g.address,
      gateway: g.gateway,
    };
    const made: Plugged = { veth: false, port: false };
    try {
      await plugGuest(layout, opts, g.holder.pid, guestNetns(g), made);
      replugged.push(g);
    } catch (err) {
      // Left recorded: `guest list` shows it unplugged, `guest del` removes it.
      await unplugGuest(layout, g.name, made);
      failed.push(`${g.nic}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { replugged, failed };
}

/** Removes the guest's port from br-int and ends its namespace (and with it the veth pair). */
async function removeGuest(layout: OvnLayout, g: GuestRecord): Promise<string[]> {
  const problems = await unplugGuest(layout, g.name, { veth: true, port: true });
  await stopProcess(g.holder);
  await writeGuests(
    layout,
    readGuests(layout).filter((other) => other.nic !== g.nic),
  );
  return problems;
}

/** Removes the guest of a NetworkInterface; false when it has none. */
export async function deleteGuest(layout: OvnLayout, ref: NicRef): Promise<boolean> {
  const key = `${ref.namespace}/${ref.name}`;
  const g = readGuests(layout).find((r) => r.nic === key);
  if (!g) return false;
  const problems = await removeGuest(layout, g);
  if (problems.length > 0) throw new Error(`removing the guest of ${key}: ${problems.join('; ')}`);
  return true;
}

/** Removes every guest: before the data plane stops, so nothing is left behind. */
export async function removeAllGuests(layout: OvnLayout): Promise<GuestRecord[]> {
  const all = readGuests(layout);
  for (const g of all) await removeGuest(layout, g);
  return all;
}

export interface GuestStatus {
  guest: GuestRecord;
  /** Its namespace's holder runs. */
  alive: boolean;
  /** Its port is in br-int with an OpenFlow port number: ovs-vswitchd has it open. */
  plugged: boolean;
}

export async function guestStatuses(layout: OvnLayout): Promise<GuestStatus[]> {
  // A dead ovs-vswitchd leaves the last ofport in its database: only a running one counts.
  const dataPlaneUp = await dataPlaneNetns(layout).then(
    () => true,
    () => false,
  );
  return Promise.all(
    readGuests(layout).map(async (guest) => {
      const ofport = await vsctl(
        layout,
        ['--if-exists', 'get', 'Interface', guestLinks(guest.name).port, 'ofport'],
        { timeoutSeconds: 2 },
      );
      return {
        guest,
        alive: isOurs(guest.holder),
        plugged: dataPlaneUp && ofport.code === 0 && /^[1-9]\d*$/.test(ofport.stdout.trim()),
      };
    }),
  );
}

/** The command line that runs `cmd` inside the guest of a NetworkInterface. */
export function guestCommand(layout: OvnLayout, ref: NicRef, cmd: string[]): [string, string[]] {
  const key = `${ref.namespace}/${ref.name}`;
  const g = readGuests(layout).find((r) => r.nic === key);
  if (!g) throw new Error(`${key} has no guest: \`hack/ovn.sh guest add ${key}\` first`);
  return inNetns(guestNetns(g), cmd);
}
