// One VM's QEMU, started by this process or re-adopted: its state through QMP, lifecycle
// commands, hot-plug. The QMP connection is opened again on demand while the process lives, so
// a dropped connection is no lost VM; the process itself is found by pid and UUID.
import { VmError } from './errors.ts';
import * as hotplug from './hotplug.ts';
import { deleteDiskSnapshot, snapshotDisk } from './snapshots.ts';
import { plugMemory } from './memory.ts';
import { vmSize, type VmSize } from './size.ts';
import { plugVcpus } from './vcpus.ts';
import { QmpClient, type QmpEvent } from './qmp-client.ts';
import { isVmProcess, killVmProcess, waitGone } from './qemu-process.ts';
import type { RunPaths } from './run-dir.ts';
import type { DiskDefinition, DiskThrottle, NicDefinition, VmDefinition } from './vm-definition.ts';

export type VmState = 'running' | 'paused' | 'shutdown' | 'exited';

export interface VmStatus {
  /**
   * `running`; `paused` (by us, or by QEMU: an I/O error, a guest panic; `runState` says);
   * `shutdown`: the guest powered off and QEMU waits to be told to quit; `exited`: no QEMU.
   */
  state: VmState;
  /** QEMU's own run state (`running`, `paused`, `io-error`, `guest-panicked`, …). */
  runState?: string;
  pid?: number;
  /** Why it is not running, in words, when known. */
  reason?: string;
}

export interface StopOptions {
  /** How long the guest has to power off after the ACPI request; 60 s unless told. */
  timeoutMs?: number;
  /** How long QEMU has to exit after `quit` before SIGKILL; 10 s unless told. */
  quitTimeoutMs?: number;
}

export interface StopResult {
  /** `powered-off`: the guest shut down on the ACPI request (or had already); `forced`: it did
   * not in time (or could not: paused) and QEMU was told to quit; `not-running`: nothing to do. */
  how: 'powered-off' | 'forced' | 'not-running';
  /** QEMU ignored `quit` and was killed by pid. */
  killed?: boolean;
}

export interface VmOptions {
  qmpTimeoutMs?: number;
}

const qemuShutdownReasons: Record<string, string> = {
  'guest-shutdown': 'the guest powered off',
  'guest-reset': 'the guest reset itself',
  'guest-panic': 'the guest kernel panicked',
  'host-qmp-quit': 'QEMU was told to quit',
  'host-qmp-system-reset': 'QEMU was reset',
  'host-signal': 'QEMU was stopped by a signal (SIGTERM, SIGINT or SIGHUP)',
  'host-ui': 'QEMU was closed from its display',
  'host-error': 'QEMU stopped on an error',
};

function shutdownWords(data: Record<string, unknown>): string {
  const r = typeof data.reason === 'string' ? data.reason : '';
  return qemuShutdownReasons[r] ?? `QEMU shut down (${r || 'no reason given'})`;
}

export function checkVncPassword(password: string): void {
  if (password.length === 0 || password.length > 8 || !/^[\x20-\x7e]+$/.test(password)) {
    throw new VmError(
      'InvalidDefinition',
      'a VNC password is 1 to 8 printable ASCII characters (VNC authentication uses no more)',
    );
  }
}

export class Vm {
  readonly definition: VmDefinition;
  readonly paths: RunPaths;
  private pidNow: number | undefined;
  private qmp: QmpClient | undefined;
  private connecting: Promise<QmpClient> | undefined;
  private readonly qmpTimeoutMs: number;
  /** The last SHUTDOWN or GUEST_PANICKED seen, for the exit reason. */
  private lastWords: string | undefined;
  private exitReason: string | undefined;
  private readonly eventListeners = new Set<(e: QmpEvent) => void>();

  constructor(
    definition: VmDefinition,
    paths: RunPaths,
    pid: number | undefined,
    opts: VmOptions = {},
  ) {
    this.definition = definition;
    this.paths = paths;
    this.pidNow = pid;
    this.qmpTimeoutMs = opts.qmpTimeoutMs ?? 10_000;
    if (pid === undefined) {
      this.exitReason = 'QEMU is not running (it exited while nothing was watching it)';
    }
  }

  get uuid(): string {
    return this.definition.uuid;
  }

  /** QEMU's pid while it runs. */
  get pid(): number | undefined {
    return this.pidNow;
  }

  /** Every QMP event of this VM (SHUTDOWN, STOP, RESUME, RESET, DEVICE_DELETED, BLOCK_JOB_*…). */
  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /**
   * The QMP connection, opened when there is none and QEMU still runs. For commands this class
   * has no method for (snapshots, block jobs); QEMU serves one client, so do not open another.
   */
  async monitor(): Promise<QmpClient> {
    if (this.qmp?.open) return this.qmp;
    // Callers at the same moment share one connection attempt: a second would wait for QEMU's
    // only monitor slot and time out.
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<QmpClient> {
    if (!(await this.alive())) {
      throw new VmError(
        'NotRunning',
        `VM ${this.uuid} is not running: ${this.exitReason ?? 'QEMU exited'}`,
      );
    }
    const qmp = await QmpClient.connect(this.paths.qmp, {
      timeoutMs: this.qmpTimeoutMs,
      commandTimeoutMs: this.qmpTimeoutMs,
    });
    qmp.onEvent((e) => {
      if (e.event === 'SHUTDOWN') this.lastWords = shutdownWords(e.data);
      if (e.event === 'GUEST_PANICKED') this.lastWords = 'the guest kernel panicked';
      for (const l of [...this.eventListeners]) l(e);
    });
    this.qmp = qmp;
    return qmp;
  }

  /** Whether QEMU still runs; once it is gone, records why. */
  private async alive(): Promise<boolean> {
    if (this.pidNow === undefined) return false;
    if (await isVmProcess(this.pidNow, this.uuid)) return true;
    this.pidNow = undefined;
    this.qmp?.close();
    this.exitReason =
      this.lastWords ??
      'QEMU exited without shutting down: it was killed or crashed (see console.log and the host journal)';
    return false;
  }

  async status(): Promise<VmStatus> {
    if (!(await this.alive())) {
      return { state: 'exited', ...(this.exitReason ? { reason: this.exitReason } : {}) };
    }
    let runState: string;
    try {
      const s = await (await this.monitor()).execute<{ status?: string }>('query-status');
      runState = String(s.status);
    } catch (err) {
      // Gone between the check and the question.
      if (!(await this.alive())) return this.status();
      throw err;
    }
    const pid = this.pidNow;
    const base = { runState, ...(pid === undefined ? {} : { pid }) };
    if (runState === 'running') return { state: 'running', ...base };
    if (runState === 'shutdown') {
      return {
        state: 'shutdown',
        ...base,
        reason: this.lastWords ?? 'the guest powered off',
      };
    }
    const why: Record<string, string> = {
      'io-error': 'a disk returned an I/O error (full pool, lost RBD connection)',
      'guest-panicked': 'the guest kernel panicked',
      prelaunch: 'started paused',
      paused: 'paused',
      watchdog: 'the guest watchdog fired',
      'internal-error': 'QEMU hit an internal error',
    };
    return { state: 'paused', ...base, reason: why[runState] ?? runState };
  }

  async pause(): Promise<void> {
    await (await this.monitor()).execute('stop');
  }

  async resume(): Promise<void> {
    await (await this.monitor()).execute('cont');
  }

  /** A hard reset, as the reset button: the guest does not shut down first. */
  async reboot(): Promise<void> {
    await (await this.monitor()).execute('system_reset');
  }

  /** VNC's password: at most 8 characters, which is all the RFB protocol's DES key holds. */
  async setVncPassword(password: string): Promise<void> {
    checkVncPassword(password);
    await (await this.monitor()).execute('set_password', { protocol: 'vnc', password });
  }

  /** Where VNC listens (127.0.0.1 and the port of the display QEMU took). */
  async vncAddress(): Promise<{ host: string; port: number }> {
    const v = await (
      await this.monitor()
    ).execute<{ host?: string; service?: string }>('query-vnc');
    return { host: String(v.host), port: Number(v.service) };
  }

  /**
   * ACPI power button, then, when the guest has not powered off within `timeoutMs` (or cannot:
   * it is paused), `quit`; a QEMU that does not exit after that is killed by pid.
   */
  async stop(opts: StopOptions = {}): Promise<StopResult> {
    const pid = this.pidNow;
    if (pid === undefined || !(await this.alive())) return { how: 'not-running' };
    let how: StopResult['how'] = 'forced';
    let words: string;
    try {
      const qmp = await this.monitor();
      const s = await qmp.execute<{ status?: string }>('query-status');
      const timeoutMs = opts.timeoutMs ?? 60_000;
      words = `stopped by force: the guest was ${String(s.status)} and could not answer the ACPI request`;
      if (s.status === 'shutdown') {
        how = 'powered-off';
      } else if (s.status === 'running') {
        const off = qmp.waitForEvent('SHUTDOWN', { timeoutMs });
        await qmp.execute('system_powerdown');
        how = await off.then(
          () => 'powered-off' as const,
          () => 'forced' as const,
        );
        words = `stopped by force: the guest did not power off within ${(timeoutMs / 1000).toFixed(0)} s of the ACPI request`;
      }
      if (how === 'powered-off') words = 'stopped: the guest powered off';
      await qmp.execute('quit').catch(() => undefined);
    } catch {
      // No monitor: straight to the kill below.
      words = "stopped by force: QEMU's monitor did not answer";
    }
    let killed = false;
    if (!(await waitGone(pid, this.uuid, opts.quitTimeoutMs ?? 10_000))) {
      await killVmProcess(pid, this.uuid);
      killed = true;
      await waitGone(pid, this.uuid, 10_000);
    }
    await this.alive();
    this.exitReason = words;
    return killed ? { how, killed } : { how };
  }

  /** SIGKILL now (an unresponsive QEMU, or a delete that does not wait for the guest). */
  async kill(): Promise<void> {
    const pid = this.pidNow;
    if (pid === undefined) return;
    await killVmProcess(pid, this.uuid);
    await waitGone(pid, this.uuid, 10_000);
    await this.alive();
  }

  /** Closes the QMP connection (QEMU runs on): what an agent that exits does. */
  disconnect(): void {
    this.qmp?.close();
    this.qmp = undefined;
  }

  async attachDisk(disk: DiskDefinition): Promise<void> {
    await hotplug.attachDisk(await this.monitor(), disk);
  }

  async detachDisk(id: string, opts?: hotplug.DetachOptions): Promise<void> {
    await hotplug.detachDisk(await this.monitor(), id, opts);
  }

  async attachNic(nic: NicDefinition): Promise<void> {
    await hotplug.attachNic(await this.monitor(), nic);
  }

  async detachNic(id: string, opts?: hotplug.DetachOptions): Promise<void> {
    await hotplug.detachNic(await this.monitor(), id, opts);
  }

  async disks(): Promise<hotplug.AttachedDisk[]> {
    return hotplug.attachedDisks(await this.monitor());
  }

  /** Ids of the NICs attached now (started with or hot-plugged). */
  async nics(): Promise<string[]> {
    const ids = await hotplug.peripheralIds(await this.monitor());
    return ids.flatMap((id) => (id.startsWith('nic-') ? [id.slice(4)] : []));
  }

  async resizeDisk(id: string, sizeBytes: number): Promise<void> {
    await hotplug.resizeDisk(await this.monitor(), id, sizeBytes);
  }

  async setDiskThrottle(id: string, throttle: DiskThrottle): Promise<void> {
    await hotplug.setDiskThrottle(await this.monitor(), id, throttle);
  }

  /** A snapshot of an attached disk while the guest runs (see snapshots.ts). */
  async snapshotDisk(id: string, name: string): Promise<void> {
    await snapshotDisk(await this.monitor(), id, name);
  }

  /** The vCPUs and memory the VM has now, and what it could have live. */
  async size(): Promise<VmSize> {
    return vmSize(await this.monitor());
  }

  /** Plugs vCPUs up to `count` (see vcpus.ts); resolves with how many it plugged. */
  async plugVcpus(count: number): Promise<number> {
    return plugVcpus(await this.monitor(), count);
  }

  /** Grows its memory to `memoryMiB` with a DIMM (see memory.ts); resolves with the MiB plugged. */
  async plugMemory(memoryMiB: number): Promise<number> {
    return plugMemory(await this.monitor(), memoryMiB);
  }

  async deleteDiskSnapshot(id: string, name: string): Promise<void> {
    await deleteDiskSnapshot(await this.monitor(), id, name);
  }
}
