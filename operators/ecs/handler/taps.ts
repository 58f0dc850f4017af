// The taps of this host's VMs: one per NIC, made by the agent in the network namespace of Open
// vSwitch's br-int and plugged into br-int as the NIC's logical port (`iface-id`), so that
// ovn-controller binds the port to this chassis. QEMU only opens the tap (script=no). Each
// port carries the VM's UUID, so every tap a VM ever had is found again after a restart, and
// one it no longer has is removed. Commands run from argument arrays, never a shell.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { ReconcileError } from '../../../controllers/external/index.ts';

const run = promisify(execFile);

export interface TapsOptions {
  /** The network namespace of br-int (a path such as /proc/<pid>/ns/net); the agent's own when empty. */
  netns: string;
  /** ovs-vsctl's --db; its default socket when empty. */
  ovsDb: string;
  bridge: string;
}

export interface TapPlug {
  tap: string;
  /** The logical switch port: the NetworkInterface's status.portName. */
  ifaceId: string;
  mac: string;
  /** The VM's UUID, recorded on the port. */
  vm: string;
  mtu?: number | undefined;
}

/** External id on every port this module plugs: the VM it belongs to. */
export const vmIdKey = 'kcloud-vm';

/**
 * A stable tap name for a VM's interface: Linux allows 15 bytes, a name is per host, and the
 * same interface of the same VM must get the same tap after an agent restart.
 */
export function tapName(vmUid: string, iface: string): string {
  return `kt${createHash('sha256').update(`${vmUid}/${iface}`).digest('hex').slice(0, 12)}`;
}

export class Taps {
  private readonly opts: TapsOptions;

  constructor(opts: TapsOptions) {
    this.opts = opts;
  }

  /** Where `ip` runs: inside br-int's network namespace when one is named. */
  private async ip(args: string[]): Promise<{ ok: boolean; stderr: string }> {
    const argv = this.opts.netns
      ? ['nsenter', `--net=${this.opts.netns}`, '--', 'ip', ...args]
      : ['ip', ...args];
    const [file = 'ip', ...rest] = argv;
    try {
      await run(file, rest, { timeout: 30_000, killSignal: 'SIGKILL' });
      return { ok: true, stderr: '' };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') {
        throw new ReconcileError(
          'HostToolMissing',
          `${file} is not installed on this host: install iproute2 (and util-linux for nsenter)`,
        );
      }
      return { ok: false, stderr: (e.stderr ?? e.message).trim() };
    }
  }

  private async vsctl(args: string[]): Promise<string> {
    const db = this.opts.ovsDb ? [`--db=${this.opts.ovsDb}`] : [];
    try {
      const r = await run('ovs-vsctl', [...db, '--timeout=30', ...args], {
        timeout: 40_000,
        killSignal: 'SIGKILL',
      });
      return r.stdout;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') {
        throw new ReconcileError(
          'HostToolMissing',
          'ovs-vsctl is not installed on this host: install Debian’s openvswitch-common',
        );
      }
      throw new ReconcileError(
        'OpenVSwitchFailed',
        `ovs-vsctl ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`,
      );
    }
  }

  /** Makes the tap (if absent), brings it up and plugs it into br-int as the logical port. */
  async plug(p: TapPlug): Promise<void> {
    const made = await this.ip(['tuntap', 'add', 'dev', p.tap, 'mode', 'tap']);
    if (!made.ok && !/exists|busy/i.test(made.stderr)) {
      throw new ReconcileError('TapFailed', `making tap ${p.tap}: ${made.stderr}`);
    }
    const up = await this.ip([
      'link',
      'set',
      'dev',
      p.tap,
      ...(p.mtu !== undefined ? ['mtu', String(p.mtu)] : []),
      'up',
    ]);
    if (!up.ok) throw new ReconcileError('TapFailed', `bringing tap ${p.tap} up: ${up.stderr}`);
    // One transaction: the port appears with its iface-id, so ovn-controller never sees it
    // unbound, and a port left by an earlier attempt is updated in place.
    await this.vsctl([
      '--may-exist',
      'add-port',
      this.opts.bridge,
      p.tap,
      '--',
      'set',
      'Interface',
      p.tap,
      `external_ids:iface-id=${p.ifaceId}`,
      `external_ids:attached-mac=${p.mac}`,
      `external_ids:${vmIdKey}=${p.vm}`,
    ]);
    const error = (await this.vsctl(['get', 'Interface', p.tap, 'error'])).trim();
    if (error !== '[]' && error !== '""') {
      throw new ReconcileError('TapFailed', `Open vSwitch could not open ${p.tap}: ${error}`);
    }
  }

  /**
   * Brings loopback up where QEMU runs: its VNC server listens on 127.0.0.1, and a network
   * namespace made for Open vSwitch alone may have left `lo` down.
   */
  async loopbackUp(): Promise<void> {
    if (!this.opts.netns) return;
    const r = await this.ip(['link', 'set', 'dev', 'lo', 'up']);
    if (!r.ok)
      throw new ReconcileError('TapFailed', `bringing lo up in ${this.opts.netns}: ${r.stderr}`);
  }

  /** Unplugs and deletes the tap; nothing there is no error. */
  async remove(tap: string): Promise<void> {
    await this.vsctl(['--if-exists', 'del-port', this.opts.bridge, tap]);
    const del = await this.ip(['link', 'del', 'dev', tap]);
    if (!del.ok && !/Cannot find device|does not exist/i.test(del.stderr)) {
      throw new ReconcileError('TapFailed', `deleting tap ${tap}: ${del.stderr}`);
    }
  }
}
