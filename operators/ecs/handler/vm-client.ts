// The agent's side of an Instance: its VM on this host. Observe finds the VM (re-adopted after
// a restart) and decides what the spec asks of it — start, resume, pause, stop, or restart per
// runStrategy; create and update do that one thing. Deleting stops the guest (ACPI, then by
// force), unplugs its taps and removes its run directory and seed: nothing of it is left.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import { writeFileAtomic } from '../../../controllers/host/index.ts';
import type { InstanceObject } from '../api/index.ts';
import type { Accelerator, Vm, VmRunner, VmState } from '../backend/qemu/index.ts';
import { writeSeed } from '../backend/seed/index.ts';
import type { Taps } from './taps.ts';
import {
  desiredPower,
  nicDefinition,
  vmDefinition,
  type PowerState,
  type ReadyDisk,
  type ReadyNic,
} from './vm-spec.ts';

/** What the agent reports of a VM. */
export interface VmObserved {
  state: VmState | 'absent';
  bootTime?: string;
  vncEndpoint?: string;
}

/** What the module keeps of a VM beside QEMU's run directory, across agent restarts. */
interface VmRecord {
  bootTime?: string;
  /** Stopped because powerState said so: starting it again is the user's wish, not a restart. */
  stoppedOnRequest?: boolean;
  /** Taps plugged for it, recorded before they are made: deletion removes exactly these. */
  taps?: string[];
}

/** What the inputs of a start are waiting for, or the inputs. */
export type Gathered =
  | { ready: true; disks: ReadyDisk[]; nics: ReadyNic[]; accel: Accelerator }
  | { ready: false; reason: string; message: string };

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
  /** The disks, NICs and accelerator a start needs, or what they wait for. */
  gather(instance: InstanceObject, signal: AbortSignal): Promise<Gathered>;
  now(): number;
}

type Action =
  | { do: 'start'; paused: boolean; inputs: Extract<Gathered, { ready: true }> }
  | { do: 'resume' }
  | { do: 'pause' }
  | { do: 'stop' };

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
    await readFile(p);
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
export async function removeVm(host: VmHost, uid: string): Promise<void> {
  const vm = await host.handle(uid);
  if (vm) {
    await vm.stop({ timeoutMs: host.stopTimeoutMs });
    vm.disconnect();
    host.started(uid, undefined);
    await host.runner.remove(uid);
  }
  // Only the taps it had: a host whose VMs had no NIC needs no Open vSwitch at all.
  const rec = await readRecord(host.stateDir, uid);
  for (const tap of rec.taps ?? []) await host.taps.remove(tap);
  await rm(seedPath(host.stateDir, uid), { force: true });
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

  async function start(i: InstanceObject, a: Extract<Action, { do: 'start' }>): Promise<void> {
    const uid = uidOf(i);
    const { inputs } = a;
    const rec = await readRecord(host.stateDir, uid);
    const nics = inputs.nics.map((n) => ({ n, def: nicDefinition(uid, n) }));
    const taps = [...new Set([...(rec.taps ?? []), ...nics.map((x) => x.def.tap)])];
    await writeRecord(host.stateDir, uid, { ...rec, taps });
    const seed = seedPath(host.stateDir, uid);
    await mkdir(path.dirname(seed), { recursive: true });
    await writeSeed(seed, {
      instanceId: uid,
      hostname: i.spec.hostname ?? i.metadata.name ?? '',
      sshAuthorizedKeys: i.spec.sshAuthorizedKeys ?? [],
      userData: i.spec.userData,
    });
    for (const { n, def } of nics) {
      await host.taps.plug({ tap: def.tap, ifaceId: n.portName, mac: n.mac, vm: uid });
    }
    // A guest that powered off leaves QEMU waiting: it goes before a fresh start.
    const old = await host.handle(uid);
    if (old) {
      await old.kill();
      old.disconnect();
    }
    const def = vmDefinition({
      instance: i,
      accel: inputs.accel,
      disks: inputs.disks,
      nics: inputs.nics,
      seedPath: seed,
    });
    const vm = await host.runner.start(def, { paused: a.paused });
    host.started(uid, vm);
    await writeRecord(host.stateDir, uid, { taps, bootTime: new Date(host.now()).toISOString() });
  }

  async function act(i: InstanceObject): Promise<void> {
    const a = plan;
    if (!a) return;
    const uid = uidOf(i);
    const vm = await host.handle(uid);
    switch (a.do) {
      case 'start':
        await start(i, a);
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
      const state: VmObserved['state'] = vm ? (await vm.status()).state : 'absent';
      const rec = await readRecord(host.stateDir, uid);
      const want: PowerState = desiredPower(i);
      const down = state === 'absent' || state === 'exited' || state === 'shutdown';

      let action: Action['do'] | undefined;
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
        const inputs = await host.gather(i, signal);
        if (!inputs.ready) {
          return {
            exists: state !== 'absent',
            upToDate: false,
            inProgress: { reason: inputs.reason, message: inputs.message, requeueAfterMs: 2_000 },
          };
        }
        plan = { do: 'start', paused: want === 'Paused', inputs };
      } else if (action !== undefined) {
        plan = { do: action };
      }
      return {
        // Never started and not to be: nothing to make.
        exists: state !== 'absent' || want === 'Stopped',
        upToDate: plan === undefined,
        observed: await observed(vm, state, rec),
      };
    },
    async create(i) {
      await act(i);
    },
    async update(i) {
      await act(i);
    },
    async delete(i) {
      await removeVm(host, uidOf(i));
    },
  };
}
