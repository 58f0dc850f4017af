// What the VM client does to a VM: start it (seed, taps, QEMU, the taps into br-int), change
// its devices while it runs, and remove it with everything it had on the host.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { InstanceObject } from '../api/index.ts';
import type { Vm } from '../backend/qemu/index.ts';
import { writeSeed } from '../backend/seed/index.ts';
import type { DevicePlan } from './device-plan.ts';
import type { Gathered, VmHost } from './vm-host.ts';
import { digest, readRecord, recordPath, seedPath, writeRecord } from './vm-record.ts';
import { diskDefinition, nicDefinition, vmDefinition, type ReadyNic } from './vm-spec.ts';

export interface StartAction {
  do: 'start';
  paused: boolean;
  inputs: Extract<Gathered, { ready: true }>;
  vncPassword: string;
  userData: string | undefined;
}

export interface DevicesAction {
  do: 'devices';
  plan: DevicePlan;
  release: string[];
}

export async function startVm(
  host: VmHost,
  i: InstanceObject,
  a: StartAction,
  signal: AbortSignal,
): Promise<void> {
  const uid = i.metadata.uid ?? '';
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
  await plugTaps(host, uid, inputs.nics);
  await writeRecord(host.stateDir, uid, {
    taps,
    nicTaps,
    bootTime: new Date(host.now()).toISOString(),
    vncPasswordDigest: digest(a.vncPassword),
    ...(percent !== undefined ? { cpuQuota: true } : {}),
  });
}

/** Plugs the taps QEMU holds for these NICs into br-int. */
export async function plugTaps(host: VmHost, uid: string, nics: ReadyNic[]): Promise<void> {
  for (const n of nics) {
    const { tap } = nicDefinition(uid, n);
    await host.taps.plug({ tap, ifaceId: n.portName, mac: n.mac, vm: uid });
  }
}

/** Plugs and unplugs disks and NICs, grows disks, and releases what QEMU no longer holds. */
export async function applyDevices(
  host: VmHost,
  i: InstanceObject,
  vm: Vm,
  a: DevicesAction,
  signal: AbortSignal,
): Promise<void> {
  const uid = i.metadata.uid ?? '';
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
