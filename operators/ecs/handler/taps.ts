// The taps of this host's VMs: one per NIC, plugged into Open vSwitch's br-int as the NIC's
// logical port (`iface-id`), so that ovn-controller binds the port to this chassis. QEMU runs
// in the agent's network namespace and opens each tap there by name (script=no); when br-int is
// in another namespace (--vm-netns: Open vSwitch in a pod or a namespace of its own), the tap
// is moved there once QEMU holds it — a tap keeps its open file across namespaces — so that
// QEMU still reaches what the host reaches (Ceph, VNC on the host's loopback). Each port carries
// the VM's UUID, so every tap a VM ever had is found again after a restart, and one it no longer
// has is removed. Commands run from argument arrays, never a shell.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { ReconcileError } from '../../../controllers/external/index.ts';
import { ovsVsctl } from './ovs-vsctl.ts';

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

  /** Runs `ip` in br-int's network namespace (`bridge`), or in the agent's own. */
  private async ip(
    args: string[],
    where: 'bridge' | 'agent' = 'bridge',
  ): Promise<{ ok: boolean; stderr: string }> {
    const argv =
      this.opts.netns && where === 'bridge'
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

  private vsctl(args: string[]): Promise<string> {
    return ovsVsctl(this.opts.ovsDb, args, 30);
  }

  /**
   * Makes the tap where QEMU opens it (the agent's namespace), before QEMU starts or plugs the
   * NIC. One an earlier QEMU left in br-int's namespace goes first: QEMU opens taps by name.
   */
  async prepare(tap: string): Promise<void> {
    if (this.opts.netns) await this.remove(tap, 'bridge');
    const made = await this.ip(['tuntap', 'add', 'dev', tap, 'mode', 'tap'], 'agent');
    if (!made.ok && !/exists|busy/i.test(made.stderr)) {
      throw new ReconcileError('TapFailed', `making tap ${tap}: ${made.stderr}`);
    }
  }

  /**
   * Once QEMU holds the tap (made by `prepare`): moves it into br-int's namespace when that is
   * another, brings it up and plugs it into br-int as the logical port. Again after a crash
   * half-way, it carries on where it stopped.
   */
  async plug(p: TapPlug): Promise<void> {
    if (this.opts.netns) {
      const moved = await this.ip(['link', 'set', 'dev', p.tap, 'netns', this.opts.netns], 'agent');
      // Not in the agent's namespace any more: moved by an earlier attempt.
      if (!moved.ok && !/Cannot find device|does not exist/i.test(moved.stderr)) {
        throw new ReconcileError(
          'TapFailed',
          `moving tap ${p.tap} into ${this.opts.netns}: ${moved.stderr}`,
        );
      }
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
   * Unplugs and deletes the tap, wherever it is (never moved: still in the agent's namespace);
   * nothing there is no error.
   */
  async remove(tap: string, only?: 'bridge'): Promise<void> {
    await this.vsctl(['--if-exists', 'del-port', this.opts.bridge, tap]);
    const places: ('bridge' | 'agent')[] =
      this.opts.netns && only === undefined ? ['bridge', 'agent'] : ['bridge'];
    for (const where of places) {
      const del = await this.ip(['link', 'del', 'dev', tap], where);
      if (!del.ok && !/Cannot find device|does not exist/i.test(del.stderr)) {
        throw new ReconcileError('TapFailed', `deleting tap ${tap}: ${del.stderr}`);
      }
    }
  }
}
