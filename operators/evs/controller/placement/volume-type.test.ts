import { describe, expect, it } from '@jest/globals';
import type { VolumeObject, VolumeTypeObject } from '../../api/index.ts';
import { effectiveQos, resolveVolumeType } from './volume-type.ts';

const type = (name: string, spec: Partial<VolumeTypeObject['spec']> = {}): VolumeTypeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeType',
  metadata: { name },
  spec: { storagePoolRef: { name: 'p' }, ...spec },
});
const volume = (typeName?: string): VolumeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { name: 'v', namespace: 'ns' },
  spec: { size: '10Gi', ...(typeName ? { volumeTypeRef: { name: typeName } } : {}) },
});

describe('resolveVolumeType', () => {
  it('takes the named type, or says it is missing', () => {
    expect(resolveVolumeType(volume('fast'), [type('fast'), type('slow')])).toEqual({
      type: type('fast'),
    });
    expect(resolveVolumeType(volume('gone'), [type('fast')])).toMatchObject({
      reason: 'VolumeTypeNotFound',
    });
  });

  it('takes the one default, and refuses none or two', () => {
    const d = type('d', { default: true });
    expect(resolveVolumeType(volume(), [type('x'), d])).toEqual({ type: d });
    expect(resolveVolumeType(volume(), [type('x')])).toMatchObject({
      reason: 'NoDefaultVolumeType',
    });
    expect(resolveVolumeType(volume(), [d, type('e', { default: true })])).toMatchObject({
      reason: 'AmbiguousDefaultVolumeType',
      message: expect.stringContaining('d, e'),
    });
  });
});

describe('effectiveQos', () => {
  it('scales with size up to the maximum', () => {
    const t = type('t', {
      qos: { iops: { base: 500, perGiB: 10, max: 1000 }, bytesPerSecond: { perGiB: 1_000_000 } },
    });
    expect(effectiveQos(t, 10 * 1024 ** 3)).toEqual({ iops: 600, bytesPerSecond: 10_000_000 });
    expect(effectiveQos(t, 100 * 1024 ** 3)).toEqual({ iops: 1000, bytesPerSecond: 100_000_000 });
    expect(effectiveQos(type('u'), 1024 ** 3)).toEqual({});
  });
});
