// What an Instance asks of QEMU on this host, from the Instance and what other products
// report: its size as the scheduler fixed it, its disks from the VolumeAttachments EVS made
// ready, its NICs from the NetworkInterfaces VPC made. Pure: the module gathers the inputs.
import { createHash } from 'node:crypto';
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { AttachTargetStatus } from '../../evs/api/index.ts';
import type { InstanceObject } from '../api/index.ts';
import {
  diskSourceFromTarget,
  type Accelerator,
  type DiskDefinition,
  type DiskThrottle,
  type NicDefinition,
  type VmDefinition,
} from '../backend/qemu/index.ts';
import { tapName } from './taps.ts';

const MiB = 2 ** 20;

export type PowerState = 'Running' | 'Stopped' | 'Paused';

/** The power state asked for: powerState, else Stopped for runStrategy Halted, else Running. */
export function desiredPower(i: InstanceObject): PowerState {
  return i.spec.powerState ?? (i.spec.runStrategy === 'Halted' ? 'Stopped' : 'Running');
}

/** A disk as EVS attached it: the Volume's name and how QEMU opens it. */
export interface ReadyDisk {
  volume: string;
  target: AttachTargetStatus;
  readOnly: boolean;
  /** The Volume's I/O limits (status.qos, from its VolumeType): QEMU enforces them. */
  qos?: { iops?: number; bytesPerSecond?: number };
}

/** QEMU's limits for a volume's QoS: totals, each way together. */
export function diskThrottle(qos: ReadyDisk['qos']): DiskThrottle | undefined {
  if (qos?.iops === undefined && qos?.bytesPerSecond === undefined) return undefined;
  return {
    ...(qos.iops !== undefined ? { iopsTotal: qos.iops } : {}),
    ...(qos.bytesPerSecond !== undefined ? { bpsTotal: qos.bytesPerSecond } : {}),
  };
}

/** A NIC as VPC made it. */
export interface ReadyNic {
  /** The interface's name in the Instance (eth0). */
  name: string;
  portName: string;
  mac: string;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * QEMU's id of a volume's disk: stable while it is attached (hot-unplug finds it by id), and
 * within QEMU's node-name limits whatever the Volume's name.
 */
export function diskId(volume: string): string {
  return `v${hash(volume).slice(0, 12)}`;
}

export function nicId(iface: string): string {
  return `n${hash(iface).slice(0, 12)}`;
}

/** What the guest sees as the disk's serial (/dev/disk/by-id/virtio-<serial>): the Volume's name, cut to virtio's 20 bytes. */
export function diskSerial(volume: string): string {
  return volume.slice(0, 20);
}

export function diskDefinition(d: ReadyDisk, boot: boolean): DiskDefinition {
  const throttle = diskThrottle(d.qos);
  return {
    id: diskId(d.volume),
    source: diskSourceFromTarget(d.target),
    serial: diskSerial(d.volume),
    ...(throttle ? { throttle } : {}),
    ...(boot ? { bootIndex: 0 } : {}),
    ...(d.readOnly ? { readOnly: true } : {}),
  };
}

export function nicDefinition(uid: string, n: ReadyNic): NicDefinition {
  return { id: nicId(n.name), tap: tapName(uid, n.name), mac: n.mac };
}

export interface VmInputs {
  instance: InstanceObject;
  accel: Accelerator;
  /** The boot disk first, then the data volumes in the spec's order. */
  disks: ReadyDisk[];
  /** The primary interface first. */
  nics: ReadyNic[];
  seedPath: string;
  /** vCPUs it may grow to while it runs; its own count when fewer. */
  maxVcpus?: number;
  /** Memory it may grow to while it runs (MiB); none when not more than its own. */
  maxMemoryMiB?: number;
  /**
   * The least memory (MiB) a VM must have for that room: a smaller Linux guest would set
   * aside 64 MiB for DMA bounce buffers once memory may appear above 4 GiB.
   */
  memoryRoomFromMiB?: number;
}

export function vmDefinition(inputs: VmInputs): VmDefinition {
  const { instance } = inputs;
  const uid = instance.metadata.uid ?? '';
  const allocated = instance.status?.allocated;
  if (!allocated) {
    throw new ReconcileError(
      'NotScheduled',
      'the instance has no allocated vCPUs and memory yet (status.allocated)',
    );
  }
  const memoryMiB = Math.floor(allocated.memoryBytes / MiB);
  return {
    uuid: uid,
    name: `${instance.metadata.namespace ?? ''}_${instance.metadata.name ?? ''}`,
    vcpus: allocated.vcpu,
    maxVcpus: Math.max(allocated.vcpu, inputs.maxVcpus ?? allocated.vcpu),
    // The size it is allocated, all of it base memory: DIMMs plugged before are not kept.
    memoryMiB,
    ...(inputs.maxMemoryMiB !== undefined && memoryMiB >= (inputs.memoryRoomFromMiB ?? 0)
      ? { maxMemoryMiB: Math.max(memoryMiB, inputs.maxMemoryMiB) }
      : {}),
    accel: inputs.accel,
    disks: inputs.disks.map((d, i) => diskDefinition(d, i === 0)),
    nics: inputs.nics.map((n) => nicDefinition(uid, n)),
    seed: { path: inputs.seedPath },
  };
}
