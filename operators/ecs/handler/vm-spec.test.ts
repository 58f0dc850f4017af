import { describe, expect, it } from '@jest/globals';
import { diskDefinition, diskThrottle } from './vm-spec.ts';

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
