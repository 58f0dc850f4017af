// What the VM client needs of its host: the runner and taps, the instance's disks and NICs as
// EVS and VPC made them here, the attachments' finalizers, the copies the manager made for this
// host, the guest agent, and the limits a VM starts with.
import type { InstanceObject } from '../api/index.ts';
import type { GuestAgentClient } from '../backend/guest-agent/index.ts';
import type { Accelerator, Vm, VmRunner } from '../backend/qemu/index.ts';
import type { CpuQuotas } from './cpu-quota.ts';
import type { WantedDisk } from './device-plan.ts';
import type { Taps } from './taps.ts';
import type { ReadyDisk, ReadyNic } from './vm-spec.ts';

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
