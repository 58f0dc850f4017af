import { describe, expect, it } from '@jest/globals';
import type { InstanceObject } from '../../api/index.ts';
import { CheckedCopies } from './checked-copies.ts';
import { vncPasswordCopyAnnotation } from './vnc-password.ts';

function instance(
  over: { generation?: number; annotations?: Record<string, string>; uid?: string } = {},
): InstanceObject {
  return {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Instance',
    metadata: {
      namespace: 'ns',
      name: 'vm',
      uid: over.uid ?? 'uid-1',
      generation: over.generation ?? 1,
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: { imageRef: { name: 'img' } },
  };
}

describe('CheckedCopies', () => {
  it('is fresh for the same host and state of the instance, within the recheck period', () => {
    let now = 0;
    const checked = new CheckedCopies(() => now, 1_000);
    expect(checked.fresh(instance(), 'h1')).toBe(false);
    checked.record(instance(), 'h1');
    expect(checked.fresh(instance(), 'h1')).toBe(true);
    now = 999;
    expect(checked.fresh(instance(), 'h1')).toBe(true);
    // A copy deleted by hand is made again within the period.
    now = 1_000;
    expect(checked.fresh(instance(), 'h1')).toBe(false);
  });

  it('reads again for another host, a spec change or a change of the user’s annotations', () => {
    const checked = new CheckedCopies(() => 0, 1_000);
    checked.record(instance({ annotations: { a: '1' } }), 'h1');
    expect(checked.fresh(instance({ annotations: { a: '1' } }), 'h2')).toBe(false);
    expect(checked.fresh(instance({ annotations: { a: '1' }, generation: 2 }), 'h1')).toBe(false);
    expect(
      checked.fresh(
        instance({ annotations: { a: '1', 'ecs.kcloud.io/vnc-password-changed': '7' } }),
        'h1',
      ),
    ).toBe(false);
    expect(checked.fresh(instance(), 'h1')).toBe(false);
    // Another instance of the same name (a new uid) was never checked.
    expect(checked.fresh(instance({ annotations: { a: '1' }, uid: 'uid-2' }), 'h1')).toBe(false);
  });

  it('is not made stale by the stamp written with a new copy, nor by annotation order', () => {
    const checked = new CheckedCopies(() => 0, 1_000);
    checked.record(instance({ annotations: { a: '1', b: '2' } }), 'h1');
    expect(
      checked.fresh(
        instance({ annotations: { b: '2', [vncPasswordCopyAnnotation]: 'copy-uid', a: '1' } }),
        'h1',
      ),
    ).toBe(true);
  });

  it('forgets a deleted instance', () => {
    const checked = new CheckedCopies(() => 0, 1_000);
    checked.record(instance(), 'h1');
    expect(checked.size).toBe(1);
    checked.forget('uid-1');
    expect(checked.size).toBe(0);
    expect(checked.fresh(instance(), 'h1')).toBe(false);
  });
});
