import { describe, expect, it } from '@jest/globals';
import type { InstanceObject } from '../api/index.ts';
import { diskDefinition, diskThrottle, vmDefinition } from './vm-spec.ts';

describe('a disk’s I/O limits', () => {
  it('are the Volume’s QoS as QEMU totals, and none when it has none', () => {
    expect(diskThrottle({ iops: 500, bytesPerSecond: 50_000_000 })).toEqual({
      iopsTotal: 500,
      bpsTotal: 50_000_000,
    });
    expect(diskThrottle({ iops: 500 })).toEqual({ iopsTotal: 500 });
    expect(diskThrottle({})).toBeUndefined();
    expect(diskThrottle(undefined)).toBeUndefined();
    const d = diskDefinition(
      {
        volume: 'data',
        target: { file: { path: '/pools/a/vol.qcow2', format: 'qcow2' } },
        readOnly: false,
        qos: { bytesPerSecond: 1_000_000 },
      },
      false,
    );
    expect(d.throttle).toEqual({ bpsTotal: 1_000_000 });
  });
});

describe('a VM’s memory', () => {
  const instance = {
    metadata: { name: 'vm', namespace: 'ns', uid: '6a0e1d2c-0000-4000-8000-000000000001' },
    spec: { imageRef: { name: 'img' } },
    status: { allocated: { vcpu: 1, memoryBytes: 320 * 2 ** 20 } },
  } as InstanceObject;
  const inputs = { instance, accel: 'tcg' as const, disks: [], nics: [], seedPath: '/s.img' };

  it('boots with all it is allocated as base memory, with room up to the host’s max', () => {
    expect(vmDefinition({ ...inputs, maxMemoryMiB: 65536 })).toMatchObject({
      memoryMiB: 320,
      maxMemoryMiB: 65536,
    });
    // A max below its size (or 0: none) leaves no room.
    expect(vmDefinition({ ...inputs, maxMemoryMiB: 0 }).maxMemoryMiB).toBe(320);
    expect(vmDefinition(inputs).maxMemoryMiB).toBeUndefined();
  });

  it('gives no room to a VM smaller than --vm-memory-room-from: its guest would lose 64 MiB', () => {
    const room = { ...inputs, maxMemoryMiB: 65536 };
    expect(vmDefinition({ ...room, memoryRoomFromMiB: 3072 }).maxMemoryMiB).toBeUndefined();
    expect(vmDefinition({ ...room, memoryRoomFromMiB: 320 }).maxMemoryMiB).toBe(65536);
    expect(vmDefinition({ ...room, memoryRoomFromMiB: 0 }).maxMemoryMiB).toBe(65536);
  });
});
