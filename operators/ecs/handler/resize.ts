// What a resize asks of a running VM: vCPUs and memory it can be given live (plugged, within
// the room it was started with), and why the rest waits for its next start. Pure.
import { memoryGrowth, type VmSize } from '../backend/qemu/index.ts';

export interface ResizeStep {
  /** vCPUs to plug up to. */
  vcpus?: number;
  /** Memory to plug up to, in MiB. */
  memoryMiB?: number;
  /** Why a difference waits for the next start; empty when nothing does. */
  waits: string[];
}

export function resizeStep(size: VmSize, wanted: { vcpus: number; memoryMiB: number }): ResizeStep {
  const step: ResizeStep = { waits: [] };
  if (wanted.vcpus < size.vcpus) {
    step.waits.push('vCPUs are not taken away from a running guest');
  } else if (wanted.vcpus > size.maxVcpus) {
    step.waits.push(
      `it can have ${String(size.maxVcpus)} vCPU${size.maxVcpus === 1 ? '' : 's'} while it runs (--vm-max-vcpus when it started)`,
    );
  } else if (wanted.vcpus > size.vcpus) {
    step.vcpus = wanted.vcpus;
  }
  const memory = memoryGrowth(
    {
      memoryMiB: size.memoryMiB,
      maxMemoryMiB: size.maxMemoryMiB,
      slots: size.memorySlots,
      freeSlots: size.freeMemorySlots,
    },
    wanted.memoryMiB,
  );
  if (memory !== undefined && 'waits' in memory) step.waits.push(memory.waits);
  else if (memory !== undefined) step.memoryMiB = wanted.memoryMiB;
  return step;
}
