// A network namespace plugged into the node's br-int as a NetworkInterface's logical port, to
// reach VMs from as a machine in their Subnet would. On the node, ovs-vswitchd runs in the
// ovn-host pod: its network namespace is the one it publishes as a link in the shared run
// folder (OVS_NETNS_LINK), and its database is reached through `kubectl exec`. The namespace is
// held by a child killed when this process dies, so nothing outlives the test.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findTool, guestLinks, searchDirs } from '../../hack/ovn/index.ts';

const run = promisify(execFile);

export interface ProbeOptions {
  /** ovs-vswitchd's network namespace (a path nsenter --net takes). */
  dataPlane: string;
  /** ovs-vsctl with these arguments against the node's Open vSwitch. */
  vsctl: (args: string[]) => Promise<string>;
  /** Short, [a-z0-9-]: the veth names are made from it. */
  name: string;
  /** The NetworkInterface's status: port, MAC, address/prefix and gateway. */
  ifaceId: string;
  mac: string;
  address: string;
  gateway: string;
}

export interface Probe {
  /** Whether `ip` answers one ping within a second. */
  ping(ip: string): Promise<boolean>;
  close(): Promise<void>;
}

function tool(name: string): string {
  const found = findTool(name, searchDirs());
  if (!found) throw new Error(`${name} is not installed on this machine: run \`make setup\``);
  return found;
}

async function inNetns(netns: string, cmd: string[]): Promise<void> {
  const [file = '', ...args] = cmd;
  try {
    await run(tool('nsenter'), [`--net=${netns}`, '--', tool(file), ...args], {
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`${cmd.join(' ')} in ${netns}: ${e.stderr ?? e.message}`, { cause: err });
  }
}

/** A child in a new network namespace of its own; resolves once it is there. */
async function holder(): Promise<{ child: ChildProcess; netns: string }> {
  const child = spawn(
    tool('unshare'),
    ['--net', '--', tool('setpriv'), '--pdeathsig', 'KILL', '--', tool('sleep'), 'infinity'],
    { stdio: 'ignore' },
  );
  const netns = `/proc/${String(child.pid)}/ns/net`;
  const own = readlinkSync('/proc/self/ns/net');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      if (readlinkSync(netns) !== own) return { child, netns };
    } catch {
      // Not started yet.
    }
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error('unshare --net did not enter a namespace of its own within 5 s');
}

export async function plugProbe(o: ProbeOptions): Promise<Probe> {
  const links = guestLinks(o.name);
  const { child, netns } = await holder();
  let plugged = false;
  const close = async () => {
    if (plugged) await o.vsctl(['--if-exists', 'del-port', 'br-int', links.port]);
    // The namespace goes with its holder, and the veth pair with its end in it.
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  };
  try {
    await inNetns(o.dataPlane, [
      'ip',
      'link',
      'add',
      links.port,
      'type',
      'veth',
      'peer',
      'name',
      links.peer,
    ]);
    await inNetns(o.dataPlane, ['ip', 'link', 'set', links.peer, 'netns', String(child.pid)]);
    await inNetns(o.dataPlane, ['ip', 'link', 'set', links.port, 'up']);
    for (const cmd of [
      ['ip', 'link', 'set', links.peer, 'name', 'eth0'],
      ['ip', 'link', 'set', 'eth0', 'address', o.mac],
      // The userspace datapath passes on what it reads as it is: no checksum left to fill in.
      ['ethtool', '-K', 'eth0', 'tx', 'off'],
      ['ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'link', 'set', 'eth0', 'up'],
      ['ip', 'address', 'add', o.address, 'dev', 'eth0'],
      ['ip', 'route', 'add', 'default', 'via', o.gateway],
    ]) {
      await inNetns(netns, cmd);
    }
    plugged = true;
    await o.vsctl([
      'add-port',
      'br-int',
      links.port,
      '--',
      'set',
      'Interface',
      links.port,
      `external_ids:iface-id=${o.ifaceId}`,
    ]);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return {
    ping: (ip) =>
      inNetns(netns, ['ping', '-n', '-q', '-c', '1', '-W', '1', ip]).then(
        () => true,
        () => false,
      ),
    close,
  };
}
