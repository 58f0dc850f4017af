import { describe, expect, it } from '@jest/globals';
import type { VmSize } from '../backend/qemu/index.ts';
import { resizeStep } from './resize.ts';

const size = (over: Partial<VmSize> = {}): VmSize => ({
  vcpus: 1,
  maxVcpus: 8,
  memoryMiB: 256,
  maxMemoryMiB: 65536,
  memorySlots: 16,
  freeMemorySlots: 16,
  dimms: [],
  ...over,
});

describe('resizeStep', () => {
  it('plugs more vCPUs and whole blocks of memory within the room the VM started with', () => {
    expect(resizeStep(size(), { vcpus: 2, memoryMiB: 384 })).toEqual({
      vcpus: 2,
      memoryMiB: 384,
      waits: [],
    });
    expect(resizeStep(size(), { vcpus: 1, memoryMiB: 256 })).toEqual({ waits: [] });
  });

  it('says why each difference that cannot be plugged waits for the next start', () => {
    expect(resizeStep(size({ vcpus: 2 }), { vcpus: 1, memoryMiB: 320 })).toEqual({
      waits: [
        'vCPUs are not taken away from a running guest',
        'memory is plugged in whole 128 MiB blocks (what the guest onlines), and 64 MiB more is not',
      ],
    });
    expect(resizeStep(size({ maxVcpus: 1 }), { vcpus: 2, memoryMiB: 384 })).toEqual({
      memoryMiB: 384,
      waits: ['it can have 1 vCPU while it runs (--vm-max-vcpus when it started)'],
    });
    // A VM started before it had room (or with --vm-max-memory=0): as before, at its next start.
    expect(
      resizeStep(size({ maxMemoryMiB: 256, memorySlots: 0, freeMemorySlots: 0 }), {
        vcpus: 2,
        memoryMiB: 384,
      }),
    ).toEqual({
      vcpus: 2,
      waits: [
        'it was started without room to plug memory (--vm-max-memory; a VM smaller than --vm-memory-room-from gets none)',
      ],
    });
    expect(resizeStep(size({ memoryMiB: 384 }), { vcpus: 1, memoryMiB: 256 }).waits).toEqual([
      'memory is not taken away from a running guest',
    ]);
  });
});
