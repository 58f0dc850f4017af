import { describe, expect, it } from '@jest/globals';
import { loadOrder, moduleName } from './kernel-modules.ts';

describe('the demo guest kernel modules', () => {
  it('are named as the kernel names them', () => {
    expect(moduleName('/lib/modules/6.1.0/kernel/drivers/char/hw_random/virtio-rng.ko')).toBe(
      'virtio_rng',
    );
    expect(moduleName('nls_iso8859-1.ko.xz')).toBe('nls_iso8859_1');
  });

  it('load each after what it depends on, once, otherwise in the order asked', () => {
    const deps: Record<string, string[]> = {
      virtio_net: ['net_failover', 'virtio', 'virtio_ring'],
      net_failover: ['failover'],
      virtio: ['virtio_ring'],
      vfat: ['fat'],
    };
    expect(loadOrder(['virtio_net', 'virtio', 'vfat'], (n) => deps[n] ?? [])).toEqual([
      'failover',
      'net_failover',
      'virtio_ring',
      'virtio',
      'virtio_net',
      'fat',
      'vfat',
    ]);
  });

  it('refuse a dependency loop, naming it', () => {
    const deps: Record<string, string[]> = { a: ['b'], b: ['a'] };
    expect(() => loadOrder(['a'], (n) => deps[n] ?? [])).toThrow('a -> b -> a');
  });
});
