// Starts VMs and finds them again. QEMU runs with -daemonize: `start` returns once QEMU has
// initialised (or failed with its own words), and the VM lives in a session of its own, so it
// keeps running when the agent exits or is killed. A detached spawn would do that too, but would
// make a VM started now (our child, with an exit code) and a re-adopted one (not our child)
// two different things to watch; with -daemonize neither is our child and both are watched the
// same way (pid file, /proc/<pid>/cmdline carrying the UUID, QMP).
import { VmError } from './errors.ts';
import { qemuArgs } from './qemu-args.ts';
import {
  findVmProcess,
  killVmProcess,
  launchDaemonized,
  readPidFile,
  waitGone,
} from './qemu-process.ts';
import {
  listRunDirs,
  readDefinition,
  removeRunDir,
  removeStale,
  runPaths,
  writeDefinition,
} from './run-dir.ts';
import { checkDefinition, type VmDefinition } from './vm-definition.ts';
import { checkVncPassword, Vm } from './vm.ts';

export interface VmRunnerOptions {
  /** The ECS module's state directory: VMs live in <stateDir>/vms/<uuid>/. */
  stateDir: string;
  /** The QEMU binary; qemu-system-x86_64 on PATH unless told. */
  qemu?: string;
  /**
   * A command QEMU is started through, such as `nsenter --net=<netns> --`: QEMU opens its taps
   * by name, so it must run in the network namespace where the agent made them (the one of
   * Open vSwitch's br-int). Empty unless told: QEMU runs where the agent does.
   */
  launcher?: readonly string[];
  /** How long QEMU may take to initialise; 30 s unless told. */
  startTimeoutMs?: number;
  /** How long a QMP command may take; 10 s unless told. */
  qmpTimeoutMs?: number;
}

export interface StartOptions {
  /** VNC's password (≤ 8 characters); without one nobody can log in to VNC. */
  vncPassword?: string;
  /** Leave the guest paused before its first instruction. */
  paused?: boolean;
  /** Runs with QEMU's pid before the guest's first instruction (a CPU quota set on it). */
  beforeRun?: (pid: number) => Promise<void>;
}

export class VmRunner {
  readonly stateDir: string;
  private readonly qemu: string;
  private readonly launcher: readonly string[];
  private readonly startTimeoutMs: number;
  private readonly qmpTimeoutMs: number;

  constructor(opts: VmRunnerOptions) {
    this.stateDir = opts.stateDir;
    this.qemu = opts.qemu ?? 'qemu-system-x86_64';
    this.launcher = opts.launcher ?? [];
    this.startTimeoutMs = opts.startTimeoutMs ?? 30_000;
    this.qmpTimeoutMs = opts.qmpTimeoutMs ?? 10_000;
  }

  /**
   * Writes the run directory and vm.json, launches QEMU, connects QMP, sets the VNC password and
   * lets the guest run. On any failure QEMU is killed: no half-started VM is left.
   */
  async start(def: VmDefinition, opts: StartOptions = {}): Promise<Vm> {
    checkDefinition(def);
    if (opts.vncPassword !== undefined) checkVncPassword(opts.vncPassword);
    const paths = runPaths(this.stateDir, def.uuid);
    const running = await findVmProcess(paths.pidFile, def.uuid);
    if (running !== undefined) {
      throw new VmError(
        'AlreadyRunning',
        `VM ${def.uuid} already runs here (pid ${String(running)}): adopt it instead of starting it`,
      );
    }
    await removeStale(paths);
    await writeDefinition(paths, def);
    const args = qemuArgs(def, paths);
    let pid: number | undefined;
    try {
      const launcher = this.launcher.map((w) => w.replaceAll('{uid}', def.uuid));
      const [file = this.qemu, ...rest] = [...launcher, this.qemu, ...args];
      await launchDaemonized(file, rest, this.startTimeoutMs);
      pid = await findVmProcess(paths.pidFile, def.uuid);
      if (pid === undefined) {
        throw new VmError(
          'QemuFailed',
          `QEMU said it started, but ${paths.pidFile} names no running QEMU of this VM`,
        );
      }
      const vm = new Vm(def, paths, pid, { qmpTimeoutMs: this.qmpTimeoutMs });
      await vm.monitor();
      if (opts.vncPassword !== undefined) await vm.setVncPassword(opts.vncPassword);
      await opts.beforeRun?.(pid);
      if (opts.paused !== true) await vm.resume();
      return vm;
    } catch (err) {
      // A launch that timed out may have left a daemon behind: it has written its pid file.
      pid ??= await readPidFile(paths.pidFile);
      if (pid !== undefined) {
        await killVmProcess(pid, def.uuid);
        await waitGone(pid, def.uuid, 10_000);
      }
      await removeStale(paths);
      throw err;
    }
  }

  /**
   * The VM of a run directory, as found after the agent restarted: connected to its QEMU when
   * that still runs (status then tells running, paused or shutdown), `exited` when not.
   * Undefined when there is no such run directory.
   */
  async adopt(uuid: string): Promise<Vm | undefined> {
    const paths = runPaths(this.stateDir, uuid);
    const def = await readDefinition(paths);
    if (def === undefined) return undefined;
    const pid = await findVmProcess(paths.pidFile, uuid);
    const vm = new Vm(def, paths, pid, { qmpTimeoutMs: this.qmpTimeoutMs });
    // Connected now, so events from here on (a guest powering off) are seen.
    if (pid !== undefined) await vm.monitor().catch(() => undefined);
    return vm;
  }

  /** The UUIDs of every VM with a run directory here, running or not. */
  list(): Promise<string[]> {
    return listRunDirs(this.stateDir);
  }

  /** Removes a VM's run directory; refused while its QEMU runs (stop or kill it first). */
  async remove(uuid: string): Promise<void> {
    const paths = runPaths(this.stateDir, uuid);
    const pid = await findVmProcess(paths.pidFile, uuid);
    if (pid !== undefined) {
      throw new VmError(
        'AlreadyRunning',
        `VM ${uuid} still runs (pid ${String(pid)}): stop it before removing its run directory`,
      );
    }
    await removeRunDir(paths);
  }
}
