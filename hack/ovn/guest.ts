// A guest: a network namespace standing in for a VM, its eth0 one end of a veth pair whose
// other end is a port of br-int in the data plane's namespace, bound to an OVN logical switch
// port by external_ids:iface-id. Everything it creates is undone by close(), and by the kernel
// if this process dies first: the namespace is held only by a child that is killed when its
// parent dies, and every command run inside it is killed the same way.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Chassis } from './chassis-layout.ts';
import { check, vsctl } from './ctl.ts';
import type { OvnLayout } from './layout.ts';
import { dataPlaneNetns } from './state.ts';
import { findTool, searchDirs } from './tools.ts';

export interface GuestOptions {
  /** Short, [a-z0-9-]: the veth names are made from it. */
  name: string;
  /** The OVN logical switch port to bind to (a NetworkInterface's status.portName). */
  ifaceId: string;
  mac: string;
  /** 'ip/prefix'; left out, eth0 gets no address (for DHCP). */
  address?: string;
  gateway?: string;
  /** The MTU of eth0 (and its peer in br-int); the kernel's default when left out. */
  mtu?: number;
  /** The chassis whose br-int the guest is plugged into (upChassis); the OVN's own by default. */
  chassis?: Pick<Chassis, 'layout'>;
  /**
   * Plug into this bridge instead of br-int: a provider bridge (addProviderNetwork), where a
   * namespace stands for a network outside OVN. No iface-id is set there.
   */
  bridge?: string;
}

export interface ExecResult {
  /** The exit code; 124 when the command was killed for running too long, as timeout(1) says. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface Guest {
  readonly name: string;
  /** A path usable with `nsenter --net=`. */
  readonly netns: string;
  /** Runs a command inside the guest's namespace; never rejects, the exit code tells. */
  exec(cmd: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Starts a command inside the guest's namespace; close() kills it if it still runs. */
  spawn(cmd: string[]): ChildProcess;
  /** Kills what spawn started, removes the port from br-int and the veth, ends the namespace. */
  close(): Promise<void>;
}

/** Linux interface names are at most 15 bytes. */
const maxIfName = 15;
const suffixes = { port: '-o', peer: '-g' } as const;
export const maxGuestName = maxIfName - 2;

/** The veth pair of a guest: `port` stays in br-int, `peer` becomes the guest's eth0. */
export function guestLinks(name: string): { port: string; peer: string } {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > maxGuestName) {
    throw new Error(
      `guest name ${JSON.stringify(name)} is not usable: give 1 to ${String(maxGuestName)} of a-z, 0-9 and '-', not starting or ending with '-'`,
    );
  }
  return { port: name + suffixes.port, peer: name + suffixes.peer };
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseGuestAddress(address: string): { ip: string; prefix: number } {
  const [ip = '', prefix = '', ...rest] = address.split('/');
  const n = Number(prefix);
  if (!ipv4.test(ip) || rest.length > 0 || !/^\d{1,2}$/.test(prefix) || n > 32) {
    throw new Error(`guest address ${JSON.stringify(address)} is not an IPv4 'address/prefix'`);
  }
  return { ip, prefix: n };
}

/**
 * The commands, run inside the guest's namespace, that turn the moved veth end into a
 * configured eth0.
 */
export function guestSetup(opts: GuestOptions, peer: string): string[][] {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(opts.mac)) {
    throw new Error(`guest MAC ${JSON.stringify(opts.mac)} is not of the form 0a:00:00:00:00:01`);
  }
  if (opts.gateway !== undefined && !ipv4.test(opts.gateway)) {
    throw new Error(`guest gateway ${JSON.stringify(opts.gateway)} is not an IPv4 address`);
  }
  if (opts.gateway !== undefined && opts.address === undefined) {
    throw new Error('a guest gateway needs an address to reach it from');
  }
  const address = opts.address === undefined ? undefined : parseGuestAddress(opts.address);
  return [
    ['ip', 'link', 'set', peer, 'name', 'eth0'],
    ['ip', 'link', 'set', 'eth0', 'address', opts.mac.toLowerCase()],
    ...(opts.mtu === undefined ? [] : [['ip', 'link', 'set', 'eth0', 'mtu', String(opts.mtu)]]),
    // The userspace datapath forwards what it reads from the veth as it is: a checksum left
    // for the NIC to fill in would arrive wrong, and the receiver drops TCP.
    ['ethtool', '-K', 'eth0', 'tx', 'off'],
    ['ip', 'link', 'set', 'lo', 'up'],
    ['ip', 'link', 'set', 'eth0', 'up'],
    ...(address
      ? [['ip', 'address', 'add', `${address.ip}/${String(address.prefix)}`, 'dev', 'eth0']]
      : []),
    ...(opts.gateway ? [['ip', 'route', 'add', 'default', 'via', opts.gateway]] : []),
  ];
}

/**
 * ovs-vsctl arguments that add the port to br-int, bound to the logical port; on another
 * bridge (a provider bridge) a plain port.
 */
export function addPortArgs(port: string, ifaceId: string, bridge = 'br-int'): string[] {
  if (bridge !== 'br-int') return ['add-port', bridge, port];
  return [
    'add-port',
    'br-int',
    port,
    '--',
    'set',
    'Interface',
    port,
    `external_ids:iface-id=${ifaceId}`,
  ];
}

export type GuestTool = 'nsenter' | 'unshare' | 'setpriv' | 'ip' | 'ethtool' | 'sleep';

export function tool(name: GuestTool): string {
  const found = findTool(name, searchDirs());
  if (!found) {
    throw new Error(
      `${name} not found on PATH or in the system folders: run \`make setup\` (util-linux, iproute2, ethtool)`,
    );
  }
  return found;
}

/**
 * `cmd` as run inside `netns`, killed when this process dies: nsenter enters the namespace and
 * execs setpriv, which sets the parent-death signal and execs the command, so the PID Node
 * knows is the command's.
 */
export function inNetns(netns: string, cmd: string[]): [string, string[]] {
  return [
    tool('nsenter'),
    [`--net=${netns}`, '--', tool('setpriv'), '--pdeathsig', 'KILL', '--', ...cmd],
  ];
}

export function execIn(netns: string, cmd: string[], timeoutMs = 30_000): Promise<ExecResult> {
  const [file, args] = inNetns(netns, cmd);
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        if (!err) resolve({ code: 0, stdout, stderr });
        else if (err.killed) {
          resolve({ code: 124, stdout, stderr: `${stderr}killed after ${String(timeoutMs)} ms` });
        } else resolve({ code: typeof err.code === 'number' ? err.code : 1, stdout, stderr });
      },
    );
  });
}

async function mustExec(netns: string, cmd: string[]): Promise<void> {
  const r = await execIn(netns, cmd);
  if (r.code !== 0) {
    throw new Error(`${cmd.join(' ')} (in ${netns}) failed, exit ${String(r.code)}: ${r.stderr}`);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** Kills a child of ours (Node knows whether it was reaped, so the PID is still its). */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited(child);
}

/**
 * A process that holds a new network namespace: `unshare --net` then, in that namespace,
 * sleep with the parent-death signal set. Resolves once the namespace is its.
 */
async function startHolder(): Promise<{ holder: ChildProcess; netns: string }> {
  const holder = spawn(
    tool('unshare'),
    ['--net', '--', tool('setpriv'), '--pdeathsig', 'KILL', '--', tool('sleep'), 'infinity'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  holder.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  // Without a PID the spawn failed, and says why in an 'error' event.
  if (holder.pid === undefined) throw (await once(holder, 'error'))[0];
  const netns = `/proc/${String(holder.pid)}/ns/net`;
  const own = readlinkSync('/proc/self/ns/net');
  const deadline = Date.now() + 10_000;
  // unshare keeps its PID through the execs; the namespace link changes at unshare().
  for (;;) {
    if (holder.exitCode !== null || holder.signalCode !== null) {
      throw new Error(`unshare --net exited (${String(holder.exitCode)}): ${stderr.trim()}`);
    }
    try {
      if (readlinkSync(netns) !== own) break;
    } catch {
      // Not there yet, or gone: the exit check above tells.
    }
    if (Date.now() > deadline) {
      await kill(holder);
      throw new Error('unshare --net did not enter a new network namespace within 10 s');
    }
    await sleep(5);
  }
  return { holder, netns };
}

/** What a plug made, so that undoing it removes only that: never a namesake's veth. */
export interface Plugged {
  veth: boolean;
  port: boolean;
}

/**
 * Plugs the namespace of the process `holderPid` (`netns`) into br-int as the logical port
 * `opts.ifaceId`: a veth pair in the data plane's namespace, one end moved into the guest and
 * configured as eth0, the other added to br-int. Records in `made` what exists, for
 * unplugGuest, also when it fails half-way.
 */
export async function plugGuest(
  layout: OvnLayout,
  opts: GuestOptions,
  holderPid: number,
  netns: string,
  made: Plugged,
): Promise<void> {
  const links = guestLinks(opts.name);
  const setup = guestSetup(opts, links.peer);
  if (!/^[^\s"]+$/.test(opts.ifaceId)) {
    throw new Error(`iface-id ${JSON.stringify(opts.ifaceId)} is not a logical port name`);
  }
  const dataPlane = await dataPlaneNetns(layout);
  await mustExec(dataPlane, [
    tool('ip'),
    'link',
    'add',
    links.port,
    ...(opts.mtu === undefined ? [] : ['mtu', String(opts.mtu)]),
    'type',
    'veth',
    'peer',
    'name',
    links.peer,
  ]);
  made.veth = true;
  // By PID: nsenter changes only the network namespace, so /proc is the one the PID is in.
  await mustExec(dataPlane, [tool('ip'), 'link', 'set', links.peer, 'netns', String(holderPid)]);
  await mustExec(dataPlane, [tool('ip'), 'link', 'set', links.port, 'up']);
  for (const [name = '', ...args] of setup) {
    await mustExec(netns, [tool(name as GuestTool), ...args]);
  }
  // Plugged last, so nothing leaves the guest before its MAC and address are set.
  await check(
    vsctl(layout, addPortArgs(links.port, opts.ifaceId, opts.bridge)),
    `adding ${links.port}`,
  );
  made.port = true;
  const error = (
    await check(vsctl(layout, ['get', 'Interface', links.port, 'error']), 'reading its error')
  ).trim();
  if (error !== '[]' && error !== '""') {
    throw new Error(`Open vSwitch could not open ${links.port}: ${error}`);
  }
}

/**
 * Undoes what plugGuest made: the port leaves br-int (and the Open vSwitch database, so a
 * restarted ovs-vswitchd does not look for it) and the veth pair is deleted. Returns what
 * could not be undone.
 */
export async function unplugGuest(
  layout: OvnLayout,
  name: string,
  made: Plugged,
): Promise<string[]> {
  const links = guestLinks(name);
  const problems: string[] = [];
  if (made.port) {
    // Whichever bridge holds it (br-int, or a provider bridge).
    const del = await vsctl(layout, ['--if-exists', 'del-port', links.port], {
      timeoutSeconds: 5,
    });
    if (del.code !== 0) problems.push(`ovs-vsctl del-port ${links.port}: ${del.stderr.trim()}`);
  }
  // Gone with ovs-vswitchd's namespace if that has ended; deleting one end deletes both.
  const dp = made.veth ? await dataPlaneNetns(layout).catch(() => undefined) : undefined;
  if (dp) {
    const r = await execIn(dp, [tool('ip'), 'link', 'del', links.port]);
    if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) {
      problems.push(`ip link del ${links.port}: ${r.stderr.trim()}`);
    }
  }
  return problems;
}

/**
 * Starts a guest plugged into the data plane's br-int as the logical port `ifaceId`. Returns
 * once Open vSwitch has the port (ovn-controller binds it a moment later: wait for the Port
 * Binding's chassis or the logical switch port's `up` before sending traffic).
 */
export async function startGuest(ovn: OvnLayout, opts: GuestOptions): Promise<Guest> {
  const layout = opts.chassis?.layout ?? ovn;
  // Checked before anything is made.
  guestSetup(opts, guestLinks(opts.name).peer);
  await dataPlaneNetns(layout);
  const { holder, netns } = await startHolder();
  const children = new Set<ChildProcess>();
  const made: Plugged = { veth: false, port: false };
  let closed: Promise<void> | undefined;

  const close = (): Promise<void> =>
    (closed ??= (async () => {
      await Promise.all([...children].map(kill));
      const problems = await unplugGuest(layout, opts.name, made);
      await kill(holder);
      if (problems.length > 0) {
        throw new Error(`closing guest ${opts.name}: ${problems.join('; ')}`);
      }
    })());

  const guest: Guest = {
    name: opts.name,
    netns,
    exec: (cmd, o) => execIn(netns, cmd, o?.timeoutMs),
    spawn: (cmd) => {
      const [file, args] = inNetns(netns, cmd);
      const child = spawn(file, args, { stdio: 'pipe' });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    close,
  };

  try {
    await plugGuest(layout, opts, holder.pid ?? 0, netns, made);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return guest;
}
