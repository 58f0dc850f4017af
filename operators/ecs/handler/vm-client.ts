// The agent's side of an Instance: its VM on this host. Observe finds the VM (re-adopted after
// a restart) and decides what the spec asks of it — start, resume, pause, stop, or restart per
// runStrategy; on a running VM, plug and unplug disks and NICs and grow disks; create and
// update do that. A disk's VolumeAttachment carries this module's finalizer while QEMU has the
// volume open, so the volume is not handed to anyone else before it is closed here. Deleting
// stops the guest (ACPI, then by force), unplugs its taps and removes its run directory and
// seed: nothing of it is left. The VNC password (the manager's copy for this host) is set at
// start and again on a running VM whose password changed.
import { access } from 'node:fs/promises';
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import { rebuildingReason, vncPasswordSecretName, type InstanceObject } from '../api/index.ts';
import { dimmBlocks, type Dimm, type Vm, type VmState } from '../backend/qemu/index.ts';
import { devicePlan, isEmpty, type DevicePlan } from './device-plan.ts';
import { quotaUs } from './cpu-quota.ts';
import { resizeStep } from './resize.ts';
import { startInputs, type VmHost } from './vm-host.ts';
import {
  applyDevices,
  plugTaps,
  removeVm,
  startVm,
  type DevicesAction,
  type StartAction,
} from './vm-lifecycle.ts';
import { digest, readRecord, recordPath, writeRecord, type VmRecord } from './vm-record.ts';
import { desiredPower, diskId, type PowerState, type ReadyNic } from './vm-spec.ts';

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

type Action =
  | StartAction
  | { do: 'vnc'; password: string }
  | { do: 'vcpus'; count: number }
  | { do: 'memory'; memoryMiB: number }
  | { do: 'online-memory'; blocks: number[] }
  | { do: 'quota'; pid: number; vcpus: number; percent: number | undefined }
  | { do: 'online'; ids: number[] }
  | { do: 'resume' }
  | { do: 'pause' }
  | { do: 'stop' }
  | DevicesAction
  | { do: 'taps'; nics: ReadyNic[] };

const noDevices: DevicePlan = {
  attachDisks: [],
  detachDisks: [],
  grow: [],
  attachNics: [],
  detachNics: [],
};

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

  async function act(i: InstanceObject, signal: AbortSignal): Promise<void> {
    const a = plan;
    if (!a) return;
    const uid = uidOf(i);
    const vm = await host.handle(uid);
    switch (a.do) {
      case 'start':
        await startVm(host, i, a, signal);
        return;
      case 'devices':
        if (vm) await applyDevices(host, i, vm, a, signal);
        else await host.release(i, a.release, signal);
        return;
      case 'taps': {
        await plugTaps(host, uid, a.nics);
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
