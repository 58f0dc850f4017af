// The size a running VM has, as QEMU holds it (vCPUs plugged, base and plugged memory), and the
// room it has to grow without a restart.
import { vmMemory, type Dimm } from './memory.ts';
import type { QmpClient } from './qmp-client.ts';
import { cpuSlots } from './vcpus.ts';

export interface VmSize {
  /** vCPUs present in the VM (started with or plugged). */
  vcpus: number;
  /** vCPUs it could have without a restart. */
  maxVcpus: number;
  /** Base and plugged memory together. */
  memoryMiB: number;
  /** Memory it could have without a restart; `memoryMiB` when started without room. */
  maxMemoryMiB: number;
  /** DIMM slots it was started with, and those still free. */
  memorySlots: number;
  freeMemorySlots: number;
  /** Memory plugged since it started. */
  dimms: Dimm[];
}

export async function vmSize(qmp: QmpClient): Promise<VmSize> {
  const all = await cpuSlots(qmp);
  const mem = await vmMemory(qmp);
  return {
    vcpus: all.filter((s) => s.plugged).length,
    maxVcpus: all.length,
    memoryMiB: mem.memoryMiB,
    maxMemoryMiB: mem.maxMemoryMiB,
    memorySlots: mem.slots,
    freeMemorySlots: mem.freeSlots,
    dimms: mem.dimms,
  };
}
