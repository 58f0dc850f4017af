// The agent's side of an Instance: its VM on this host. Observe finds the VM (re-adopted after
// a restart) and decides what the spec asks of it — start, resume, pause, stop, or restart per
// runStrategy; on a running VM, plug and unplug disks and NICs and grow disks; create and
// update do that. A disk's VolumeAttachment carries this module's finalizer while QEMU has the
// volume open, so the volume is not handed to anyone else before it is closed here. Deleting
// stops the guest (ACPI, then by force), unplugs its taps and removes its run directory and
// seed: nothing of it is left. The VNC password (the manager's copy for this host) is set at
// start and again on a running VM whose password changed.
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import { writeFileAtomic } from '../../../controllers/host/index.ts';
import { rebuildingReason, vncPasswordSecretName, type InstanceObject } from '../api/index.ts';
import type { GuestAgentClient } from '../backend/guest-agent/index.ts';
import {
  dimmBlocks,
  type Accelerator,
  type Dimm,
  type Vm,
  type VmRunner,
  type VmState,
} from '../backend/qemu/index.ts';
import { devicePlan, isEmpty, type DevicePlan, type WantedDisk } from './device-plan.ts';
import { writeSeed } from '../backend/seed/index.ts';
import { quotaUs, type CpuQuotas } from './cpu-quota.ts';
import { resizeStep } from './resize.ts';
import type { Taps } from './taps.ts';
import {
  desiredPower,
  diskDefinition,
  diskId,
  nicDefinition,
  vmDefinition,
  type PowerState,
  type ReadyDisk,
  type ReadyNic,
} from './vm-spec.ts';

/**
 * Whether the guest agent answered, the guest's CPUs it reported, and the memory blocks of the
 * VM's DIMMs the guest has not onlined (asked only of a VM with DIMMs).
 */
export type GuestReport =
  | { connected: true; onlineVcpus: number; offlineVcpus: number[]; offlineMemoryBlocks?: number[] }
  | { connected: false; message: string };

/** What the agent reports of a VM. */
export interface VmObserved {
  state: VmState | 'absent';
  bootTime?: string;
  vncEndpoint?: string;
  /** What the running VM has (vCPUs, memory), beside what the scheduler allocated it. */
  size?: {
    vcpus: number;
    memoryMiB: number;
    wantedVcpus: number;
    wantedMemoryMiB: number;
    /** Why a difference waits for the next start; empty when it is plugged live. */
    waits: string[];
  };
  /** Asked of a running guest only. */
  guest?: GuestReport;
}

/** What the module keeps of a VM beside QEMU's run directory, across agent restarts. */
interface VmRecord {
  bootTime?: string;
  /** Stopped because powerState said so: starting it again is the user's wish, not a restart. */
  stoppedOnRequest?: boolean;
  /** Taps plugged for it, recorded before they are made: deletion removes exactly these. */
  taps?: string[];
  /** The tap of each NIC QEMU has (by QEMU id), for unplugging one. */
  nicTaps?: Record<string, string>;
  /** A digest of the VNC password QEMU has: a changed password is set again. */
  vncPasswordDigest?: string;
  /** A CPU quota was set on it: one taken off the Flavor is lifted. */
  cpuQuota?: boolean;
  /** QEMU was started (or about to be) and its taps are not all in br-int yet. */
  tapsUnplugged?: boolean;
}

const digest = (password: string) => createHash('sha256').update(password).digest('hex');

/** What the instance's disks and NICs are on this host now, as EVS and VPC report them. */
export interface Collected {
  /** How guests run here; undefined until the host's probe said. */
  accel?: Accelerator;
  /** The boot volume's name; undefined until the manager made it. */
  boot?: string;
  /** Disks whose attachment is ready, the boot disk first, then data volumes in spec order. */
  disks: WantedDisk[];
  /** Volumes the spec names whose attachment is not ready here yet. */
  waitingDisks: string[];
  /** NICs whose port is ready, the primary first. */
  nics: ReadyNic[];
  /** Interfaces the spec names whose NIC is not ready yet. */
  pendingNics: string[];
}

/** What a start waits for, or the inputs: everything the spec names must be ready first. */
export type Gathered =
  | { ready: true; disks: ReadyDisk[]; nics: ReadyNic[]; accel: Accelerator }
  | { ready: false; reason: string; message: string };

export function startInputs(c: Collected): Gathered {
  if (c.accel === undefined) {
    return {
      ready: false,
      reason: 'WaitingForHypervisor',
      message: 'the host has not reported how guests run here yet (its probe boot)',
    };
  }
  if (c.boot === undefined || c.waitingDisks.length > 0) {
    return {
      ready: false,
      reason: 'WaitingForVolumes',
      message:
        c.boot === undefined
          ? 'the boot volume is not made yet'
          : `waiting for the volumes ${c.waitingDisks.join(', ')} to be attached on this host`,
    };
  }
  if (c.pendingNics.length > 0) {
    return {
      ready: false,
      reason: 'WaitingForNetwork',
      message: `waiting for the network interfaces ${c.pendingNics.join(', ')} to have their ports`,
    };
  }
  return { ready: true, disks: c.disks, nics: c.nics, accel: c.accel };
}

export interface VmHost {
  runner: VmRunner;
  taps: Taps;
  /** The module's state folder (seeds and records live there). */
  stateDir: string;
  stopTimeoutMs: number;
  /** The VM's handle, kept across reconciles (one QMP connection each); undefined: none here. */
  handle(uid: string): Promise<Vm | undefined>;
  /** A handle for a VM just started, replacing any older one. */
  started(uid: string, vm: Vm | undefined): void;
  /** The instance's disks and NICs as they are ready on this host. */
  collect(instance: InstanceObject, signal: AbortSignal): Promise<Collected>;
  /**
   * The rebuild (an InstanceOperation bound here, not ended) the VM is kept off for while
   * its boot volume is re-made; undefined when there is none.
   */
  rebuilding(instance: InstanceObject): string | undefined;
  /** Puts this module's finalizer on the attachments of these volumes (QEMU opens them). */
  hold(instance: InstanceObject, volumes: string[], signal: AbortSignal): Promise<void>;
  /**
   * The attachments of the instance holding this module's finalizer whose volume is not in
   * `open`: QEMU does not have them (any more), so they may go.
   */
  releasable(instance: InstanceObject, open: Set<string>): string[];
  /** Takes this module's finalizer off the attachments of these volumes. */
  release(instance: InstanceObject, volumes: string[], signal: AbortSignal): Promise<void>;
  /** The instance's VNC password as the manager copied it for this host; undefined: not yet. */
  vncPassword(instance: InstanceObject, signal: AbortSignal): Promise<string | undefined>;
  /** User-data from spec.userDataSecretRef as the manager copied it for this host. */
  userData(instance: InstanceObject, signal: AbortSignal): Promise<string | undefined>;
  /** Runs `fn` with the VM's guest agent, alone on its channel; rejects when it does not answer. */
  withGuestAgent<T>(uid: string, fn: (qga: GuestAgentClient) => Promise<T>): Promise<T>;
  /** vCPUs a VM can grow to while it runs (QEMU's maxcpus), at least its own. */
  maxVcpus: number;
  /** Memory a VM can grow to while it runs (QEMU's maxmem, MiB); room only when above its own. */
  maxMemoryMiB: number;
  /** VMs with less memory (MiB) start without that room. */
  memoryRoomFromMiB: number;
  /** The CPU quotas of VMs (their cgroups). */
  cpuQuota: Pick<CpuQuotas, 'apply' | 'applied' | 'remove'>;
  now(): number;
}

type Action =
  | {
      do: 'start';
      paused: boolean;
      inputs: Extract<Gathered, { ready: true }>;
      vncPassword: string;
      userData: string | undefined;
    }
  | { do: 'vnc'; password: string }
  | { do: 'vcpus'; count: number }
  | { do: 'memory'; memoryMiB: number }
  | { do: 'online-memory'; blocks: number[] }
  | { do: 'quota'; pid: number; vcpus: number; percent: number | undefined }
  | { do: 'online'; ids: number[] }
  | { do: 'resume' }
  | { do: 'pause' }
  | { do: 'stop' }
  | { do: 'devices'; plan: DevicePlan; release: string[] }
  | { do: 'taps'; nics: ReadyNic[] };

const noDevices: DevicePlan = {
  attachDisks: [],
  detachDisks: [],
  grow: [],
  attachNics: [],
  detachNics: [],
};

export const seedPath = (stateDir: string, uid: string) =>
  path.join(stateDir, 'seeds', `${uid}.img`);
const recordPath = (stateDir: string, uid: string) => path.join(stateDir, 'records', `${uid}.json`);

async function readRecord(stateDir: string, uid: string): Promise<VmRecord> {
  try {
    return JSON.parse(await readFile(recordPath(stateDir, uid), 'utf8')) as VmRecord;
  } catch {
    return {};
  }
}

async function writeRecord(stateDir: string, uid: string, r: VmRecord): Promise<void> {
  await writeFileAtomic(recordPath(stateDir, uid), JSON.stringify(r) + '\n');
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a VM that is not running is to be started again: always when it never ran here or
 * was stopped on request; else as runStrategy says of a guest that powered off (`shutdown`)
 * or a QEMU that died (`exited`). Undefined when it may start; else why it stays down.
 */
export function restartRefusal(
  instance: InstanceObject,
  state: VmState | 'absent',
  record: VmRecord,
): ReconcileError | undefined {
  if (state === 'absent' || record.stoppedOnRequest) return undefined;
  const strategy = instance.spec.runStrategy ?? 'Always';
  if (strategy === 'Always') return undefined;
  if (strategy === 'RerunOnFailure' && state === 'exited') return undefined;
  const what = state === 'shutdown' ? 'the guest powered off' : 'QEMU exited (killed or crashed)';
  return new ReconcileError(
    state === 'shutdown' ? 'GuestPoweredOff' : 'VmExited',
    `${what}; runStrategy ${strategy} does not start it again: set powerState Stopped, then Running, to start it`,
    { retry: false },
  );
}

/**
 * Stops the VM (ACPI, then by force), removes its run directory, the taps it had, its seed and
 * record: nothing of it is left on the host. Also for a VM whose instance is gone.
 */
export async function removeVm(
  host: VmHost,
  uid: string,
  instance?: InstanceObject,
  signal?: AbortSignal,
  /** Killed at once, no ACPI: the instance runs elsewhere now, its guest must not write on. */
  force = false,
): Promise<void> {
  const vm = await host.handle(uid);
  if (vm) {
    if (force) await vm.kill();
    else await vm.stop({ timeoutMs: host.stopTimeoutMs });
    vm.disconnect();
    host.started(uid, undefined);
    await host.runner.remove(uid);
  }
  await host.cpuQuota.remove(uid);
  // Only the taps it had: a host whose VMs had no NIC needs no Open vSwitch at all.
  const rec = await readRecord(host.stateDir, uid);
  for (const tap of rec.taps ?? []) await host.taps.remove(tap);
  await rm(seedPath(host.stateDir, uid), { force: true });
  if (instance) {
    await host.release(
      instance,
      host.releasable(instance, new Set()),
      signal ?? AbortSignal.timeout(60_000),
    );
  }
  await rm(recordPath(host.stateDir, uid), { force: true });
}

export function vmClient(host: VmHost): ExternalClient<InstanceObject, VmObserved> {
  let plan: Action | undefined;

  const uidOf = (i: InstanceObject) => i.metadata.uid ?? '';

  async function observed(vm: Vm | undefined, state: VmObserved['state'], rec: VmRecord) {
    const o: VmObserved = { state };
    if (rec.bootTime !== undefined && (state === 'running' || state === 'paused')) {
      o.bootTime = rec.bootTime;
    }
    if (vm && (state === 'running' || state === 'paused')) {
      const vnc = await vm.vncAddress().catch(() => undefined);
      if (vnc) o.vncEndpoint = `${vnc.host}:${String(vnc.port)}`;
    }
    return o;
  }

  /** Asks the guest agent what it sees; one that does not answer is reported, not an error. */
  async function guestReport(uid: string, dimms: Dimm[]): Promise<GuestReport> {
    try {
      return await host.withGuestAgent(uid, async (qga) => {
        const cpus = await qga.vcpus();
        const report: GuestReport = {
          connected: true,
          onlineVcpus: cpus.filter((c) => c.online).length,
          offlineVcpus: cpus.filter((c) => !c.online).map((c) => c.id),
        };
        if (dimms.length > 0) {
          const plugged = new Set(dimmBlocks(dimms, await qga.memoryBlockBytes()));
          report.offlineMemoryBlocks = (await qga.memoryBlocks())
            .filter((b) => !b.online && plugged.has(b.index))
            .map((b) => b.index)
            .sort((a, b) => a - b);
        }
        return report;
      });
    } catch (err) {
      return { connected: false, message: err instanceof Error ? err.message : String(err) };
    }
  }

  async function start(
    i: InstanceObject,
    a: Extract<Action, { do: 'start' }>,
    signal: AbortSignal,
  ): Promise<void> {
    const uid = uidOf(i);
    const { inputs } = a;
    const rec = await readRecord(host.stateDir, uid);
    const nics = inputs.nics.map((n) => ({ n, def: nicDefinition(uid, n) }));
    const taps = [...new Set([...(rec.taps ?? []), ...nics.map((x) => x.def.tap)])];
    const nicTaps = Object.fromEntries(nics.map((x) => [x.def.id, x.def.tap]));
    await writeRecord(host.stateDir, uid, { ...rec, taps, nicTaps, tapsUnplugged: true });
    await host.hold(
      i,
      inputs.disks.map((d) => d.volume),
      signal,
    );
    const seed = seedPath(host.stateDir, uid);
    await mkdir(path.dirname(seed), { recursive: true });
    await writeSeed(seed, {
      instanceId: uid,
      hostname: i.spec.hostname ?? i.metadata.name ?? '',
      sshAuthorizedKeys: i.spec.sshAuthorizedKeys ?? [],
      userData: a.userData,
    });
    // A guest that powered off leaves QEMU waiting: it goes before a fresh start, and with it
    // its hold on the taps, made afresh where the new one opens them.
    const old = await host.handle(uid);
    if (old) {
      await old.kill();
      old.disconnect();
    }
    for (const { def } of nics) await host.taps.prepare(def.tap);
    const def = vmDefinition({
      instance: i,
      accel: inputs.accel,
      disks: inputs.disks,
      nics: inputs.nics,
      seedPath: seed,
      maxVcpus: host.maxVcpus,
      maxMemoryMiB: host.maxMemoryMiB,
      memoryRoomFromMiB: host.memoryRoomFromMiB,
    });
    const allocated = i.status?.allocated;
    const percent = i.status?.limits?.cpuQuotaPercent;
    const vm = await host.runner.start(def, {
      paused: a.paused,
      vncPassword: a.vncPassword,
      // The quota holds from the guest's first instruction.
      beforeRun: (pid) => host.cpuQuota.apply(uid, pid, allocated?.vcpu ?? def.vcpus, percent),
    });
    host.started(uid, vm);
    // QEMU holds its taps: into br-int with them. Should this fail, or the agent stop first,
    // the record says so and the next look at the running VM plugs them.
    await plugTaps(uid, inputs.nics);
    await writeRecord(host.stateDir, uid, {
      taps,
      nicTaps,
      bootTime: new Date(host.now()).toISOString(),
      vncPasswordDigest: digest(a.vncPassword),
      ...(percent !== undefined ? { cpuQuota: true } : {}),
    });
  }

  /** Plugs the taps QEMU holds for these NICs into br-int. */
  async function plugTaps(uid: string, nics: ReadyNic[]): Promise<void> {
    for (const n of nics) {
      const { tap } = nicDefinition(uid, n);
      await host.taps.plug({ tap, ifaceId: n.portName, mac: n.mac, vm: uid });
    }
  }

  async function devices(
    i: InstanceObject,
    vm: Vm,
    a: Extract<Action, { do: 'devices' }>,
    signal: AbortSignal,
  ): Promise<void> {
    const uid = uidOf(i);
    const p = a.plan;
    await host.hold(
      i,
      p.attachDisks.map((d) => d.volume),
      signal,
    );
    for (const d of p.attachDisks) await vm.attachDisk(diskDefinition(d, false));
    for (const id of p.detachDisks) await vm.detachDisk(id);
    for (const g of p.grow) await vm.resizeDisk(g.id, g.sizeBytes);
    for (const n of p.attachNics) {
      const def = nicDefinition(uid, n);
      const rec = await readRecord(host.stateDir, uid);
      await writeRecord(host.stateDir, uid, {
        ...rec,
        taps: [...new Set([...(rec.taps ?? []), def.tap])],
        nicTaps: { ...rec.nicTaps, [def.id]: def.tap },
      });
      await host.taps.prepare(def.tap);
      await vm.attachNic(def);
      await host.taps.plug({ tap: def.tap, ifaceId: n.portName, mac: n.mac, vm: uid });
    }
    for (const id of p.detachNics) {
      await vm.detachNic(id);
      const rec = await readRecord(host.stateDir, uid);
      const tap = rec.nicTaps?.[id];
      if (tap !== undefined) {
        await host.taps.remove(tap);
        const { [id]: _gone, ...nicTaps } = rec.nicTaps ?? {};
        await writeRecord(host.stateDir, uid, {
          ...rec,
          taps: (rec.taps ?? []).filter((t) => t !== tap),
          nicTaps,
        });
      }
    }
    await host.release(i, a.release, signal);
  }

  async function act(i: InstanceObject, signal: AbortSignal): Promise<void> {
    const a = plan;
    if (!a) return;
    const uid = uidOf(i);
    const vm = await host.handle(uid);
    switch (a.do) {
      case 'start':
        await start(i, a, signal);
        return;
      case 'devices':
        if (vm) await devices(i, vm, a, signal);
        else await host.release(i, a.release, signal);
        return;
      case 'taps': {
        await plugTaps(uid, a.nics);
        const rec = await readRecord(host.stateDir, uid);
        await writeRecord(host.stateDir, uid, { ...rec, tapsUnplugged: false });
        return;
      }
      case 'vnc': {
        if (!vm) return;
        await vm.setVncPassword(a.password);
        const rec = await readRecord(host.stateDir, uid);
        await writeRecord(host.stateDir, uid, { ...rec, vncPasswordDigest: digest(a.password) });
        return;
      }
      case 'vcpus':
        await vm?.plugVcpus(a.count);
        return;
      case 'memory':
        await vm?.plugMemory(a.memoryMiB);
        return;
      case 'online-memory':
        // Linux leaves hot-added memory offline unless built or told otherwise.
        await host.withGuestAgent(uid, (qga) => qga.onlineMemoryBlocks(a.blocks));
        return;
      case 'quota': {
        await host.cpuQuota.apply(uid, a.pid, a.vcpus, a.percent);
        const rec = await readRecord(host.stateDir, uid);
        await writeRecord(host.stateDir, uid, { ...rec, cpuQuota: a.percent !== undefined });
        return;
      }
      case 'online':
        // Hot-plugged vCPUs arrive offline in most guests: the guest agent brings them up.
        await host.withGuestAgent(uid, (qga) => qga.onlineVcpus(a.ids));
        return;
      case 'resume':
        await vm?.resume();
        return;
      case 'pause':
        await vm?.pause();
        return;
      case 'stop': {
        if (!vm) return;
        const rec = await readRecord(host.stateDir, uid);
        await vm.stop({ timeoutMs: host.stopTimeoutMs });
        await writeRecord(host.stateDir, uid, { ...rec, stoppedOnRequest: true });
        return;
      }
    }
  }

  return {
    async observe(i, signal): Promise<Observation<VmObserved>> {
      plan = undefined;
      const uid = uidOf(i);
      const vm = await host.handle(uid);
      if (i.metadata.deletionTimestamp) {
        // The record is written before anything else is made and removed last: without it and
        // without a VM nothing of the instance is here.
        const recorded = await exists(recordPath(host.stateDir, uid));
        return { exists: vm !== undefined || recorded, upToDate: false };
      }
      const status = vm ? await vm.status() : undefined;
      const state: VmObserved['state'] = status?.state ?? 'absent';
      const rec = await readRecord(host.stateDir, uid);
      const rebuild = host.rebuilding(i);
      const want: PowerState = rebuild !== undefined ? 'Stopped' : desiredPower(i);
      const extra: Pick<VmObserved, 'size' | 'guest'> = {};
      const down = state === 'absent' || state === 'exited' || state === 'shutdown';

      let action:
        | Exclude<
            Action['do'],
            'devices' | 'vnc' | 'vcpus' | 'memory' | 'online' | 'online-memory' | 'quota' | 'taps'
          >
        | undefined;
      if (want === 'Stopped') {
        if (!down || state === 'shutdown') action = 'stop';
      } else if (down) {
        const refusal = restartRefusal(i, state, rec);
        if (refusal) throw refusal;
        action = 'start';
      } else if (want === 'Running' && state === 'paused') {
        action = 'resume';
      } else if (want === 'Paused' && state === 'running') {
        action = 'pause';
      }

      if (action === 'start') {
        const inputs = startInputs(await host.collect(i, signal));
        if (!inputs.ready) {
          return {
            exists: state !== 'absent',
            upToDate: false,
            inProgress: { reason: inputs.reason, message: inputs.message, requeueAfterMs: 2_000 },
          };
        }
        const vncPassword = await host.vncPassword(i, signal);
        if (vncPassword === undefined) {
          return {
            exists: state !== 'absent',
            upToDate: false,
            inProgress: {
              reason: 'WaitingForVncPassword',
              message: `the manager has not copied the VNC password for this host yet (Secret ${vncPasswordSecretName(i.metadata.name ?? '')})`,
              requeueAfterMs: 2_000,
            },
          };
        }
        let userData = i.spec.userData;
        if (i.spec.userDataSecretRef) {
          userData = await host.userData(i, signal);
          if (userData === undefined) {
            return {
              exists: state !== 'absent',
              upToDate: false,
              inProgress: {
                reason: 'WaitingForUserData',
                message: `the manager has not copied the user-data of Secret ${i.spec.userDataSecretRef.name} for this host yet`,
                requeueAfterMs: 2_000,
              },
            };
          }
        }
        plan = { do: 'start', paused: want === 'Paused', inputs, vncPassword, userData };
      } else if (action !== undefined) {
        plan = { do: action };
      } else if (vm && (state === 'running' || state === 'paused')) {
        // Running as it should: its devices as the spec says, and attachments released that
        // QEMU no longer has open.
        const c = await host.collect(i, signal);
        const current = await vm.disks();
        const p = devicePlan({
          boot: c.boot ?? '',
          wantedDisks: c.disks,
          currentDisks: current,
          wantedNics: c.nics,
          currentNics: await vm.nics(),
          pendingNics: c.pendingNics,
        });
        const gone = new Set(p.detachDisks);
        const open = new Set(
          [...c.disks.map((d) => d.volume)].filter((v) => {
            const id = diskId(v);
            return current.some((d) => d.id === id) && !gone.has(id);
          }),
        );
        for (const d of p.attachDisks) open.add(d.volume);
        const release = host.releasable(i, open);
        // Started, and the agent stopped before its taps were in br-int: plugged now.
        if (rec.tapsUnplugged) plan = { do: 'taps', nics: c.nics };
        else if (!isEmpty(p) || release.length > 0) plan = { do: 'devices', plan: p, release };
        else {
          // A password changed by its owner (or a VM adopted from before passwords were set).
          const password = await host.vncPassword(i, signal);
          if (password !== undefined && digest(password) !== rec.vncPasswordDigest) {
            plan = { do: 'vnc', password };
          }
        }
        const size = await vm.size();
        const allocated = i.status?.allocated;
        if (allocated) {
          const wantedMemoryMiB = Math.floor(allocated.memoryBytes / 2 ** 20);
          // A resize: more vCPUs and memory plugged live while the room it started with allows.
          const step = resizeStep(size, { vcpus: allocated.vcpu, memoryMiB: wantedMemoryMiB });
          extra.size = {
            vcpus: size.vcpus,
            memoryMiB: size.memoryMiB,
            wantedVcpus: allocated.vcpu,
            wantedMemoryMiB,
            waits: step.waits,
          };
          if (!plan && step.vcpus !== undefined) plan = { do: 'vcpus', count: step.vcpus };
          if (!plan && step.memoryMiB !== undefined) {
            plan = { do: 'memory', memoryMiB: step.memoryMiB };
          }
          // The CPU quota as its Flavor says, for the vCPUs it is allocated.
          const percent = i.status?.limits?.cpuQuotaPercent;
          const pid = status?.pid;
          if (!plan && pid !== undefined) {
            const want = percent === undefined ? undefined : quotaUs(allocated.vcpu, percent);
            const have =
              want === undefined && rec.cpuQuota !== true
                ? undefined
                : await host.cpuQuota.applied(uid, pid);
            if (have !== want) plan = { do: 'quota', pid, vcpus: allocated.vcpu, percent };
          }
        }
        if (state === 'running') {
          extra.guest = await guestReport(uid, size.dimms);
          const g = extra.guest;
          const wanted = allocated?.vcpu ?? 0;
          if (!plan && g.connected && g.onlineVcpus < wanted && g.offlineVcpus.length > 0) {
            plan = { do: 'online', ids: g.offlineVcpus.slice(0, wanted - g.onlineVcpus) };
          }
          if (!plan && g.connected && (g.offlineMemoryBlocks?.length ?? 0) > 0) {
            plan = { do: 'online-memory', blocks: g.offlineMemoryBlocks ?? [] };
          }
        }
      } else if (down) {
        // Not running (stopped, or not started yet): QEMU has nothing open.
        const release = host.releasable(i, new Set());
        if (release.length > 0) plan = { do: 'devices', plan: noDevices, release };
      }
      const seen = {
        // Never started and not to be: nothing to make.
        exists: state !== 'absent' || want === 'Stopped',
        upToDate: plan === undefined,
        observed: { ...(await observed(vm, state, rec)), ...extra },
      };
      if (rebuild !== undefined && down && plan === undefined) {
        return {
          ...seen,
          inProgress: {
            reason: rebuildingReason,
            message: `the VM is off while InstanceOperation ${rebuild} re-makes its boot volume`,
            requeueAfterMs: 10_000,
          },
        };
      }
      return seen;
    },
    async create(i, signal) {
      await act(i, signal);
    },
    async update(i, _observation, signal) {
      await act(i, signal);
    },
    async delete(i, signal) {
      await removeVm(host, uidOf(i), i, signal);
    },
  };
}
