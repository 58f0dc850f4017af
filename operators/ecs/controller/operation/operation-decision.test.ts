import { describe, expect, it } from '@jest/globals';
import type {
  ImageObject,
  InstanceObject,
  InstanceOperationObject,
  InstanceOperationSpec,
} from '../../api/index.ts';
import type { VolumeObject } from '../../../evs/api/index.ts';
import { decideOperation } from './operation-decision.ts';

const host = 'ecs.kcloud.io/host';

const instance = (o: { host?: string; uid?: string; deleting?: boolean } = {}): InstanceObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Instance',
  metadata: {
    name: 'web-1',
    namespace: 't1',
    uid: o.uid ?? 'uid-web-1',
    ...(o.host !== undefined ? { labels: { [host]: o.host } } : {}),
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { flavorRef: { name: 'small' }, imageRef: { name: 'debian' } },
});

const image = (name: string): ImageObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Image',
  metadata: { name, namespace: 't1' },
  spec: { source: { url: { url: 'http://x/y', sha256: 'a'.repeat(64) } } },
});

const operation = (
  spec: Partial<InstanceOperationSpec> = {},
  o: { bound?: string; status?: InstanceOperationObject['status'] } = {},
): InstanceOperationObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'InstanceOperation',
  metadata: {
    name: 'op',
    namespace: 't1',
    uid: 'uid-op',
    ...(o.bound !== undefined ? { labels: { [host]: o.bound } } : {}),
  },
  spec: { instanceRef: { name: 'web-1' }, action: 'reboot', ...spec },
  ...(o.status ? { status: o.status } : {}),
});

const world = (
  inst?: InstanceObject,
  images: ImageObject[] = [],
  volumes: VolumeObject[] = [],
) => ({
  instance: (ns: string, name: string) =>
    inst && ns === inst.metadata.namespace && name === inst.metadata.name ? inst : undefined,
  image: (ns: string, name: string) =>
    images.find((i) => i.metadata.namespace === ns && i.metadata.name === name),
  volume: (ns: string, name: string) =>
    volumes.find((v) => v.metadata.namespace === ns && v.metadata.name === name),
});

const scheduledFalse = (reason: string) => ({
  type: 'Scheduled',
  status: 'False' as const,
  reason,
  message: `said ${reason}`,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

describe('where an InstanceOperation runs', () => {
  it('waits while its instance does not exist, then for it to be scheduled', () => {
    expect(decideOperation(operation(), world())).toEqual({
      wait: { reason: 'InstanceNotFound', message: expect.stringContaining('web-1') },
    });
    expect(decideOperation(operation(), world(instance()))).toMatchObject({
      wait: { reason: 'InstanceNotScheduled' },
    });
  });

  it('goes to the host of its instance, recording which instance that is', () => {
    expect(decideOperation(operation(), world(instance({ host: 'h1' })))).toEqual({
      bind: 'h1',
      status: { instanceUID: 'uid-web-1' },
    });
  });

  it('waits for the image a rebuild names, or the one the instance booted', () => {
    const rebuild = operation({ action: 'rebuild', rebuild: { imageRef: { name: 'new' } } });
    const inst = instance({ host: 'h1' });
    expect(decideOperation(rebuild, world(inst, [image('debian')]))).toMatchObject({
      wait: { reason: 'ImageNotFound', message: expect.stringContaining('t1/new') },
    });
    expect(decideOperation(rebuild, world(inst, [image('new')]))).toMatchObject({ bind: 'h1' });
    const same = operation({ action: 'rebuild' });
    expect(decideOperation(same, world(inst))).toMatchObject({ wait: { reason: 'ImageNotFound' } });
    expect(decideOperation(same, world(inst, [image('debian')]))).toMatchObject({ bind: 'h1' });
  });

  it('rebuilds without an image from the one the boot volume was last made from', () => {
    const same = operation({ action: 'rebuild' });
    const inst = instance({ host: 'h1' });
    const boot: VolumeObject = {
      apiVersion: 'evs.kcloud.io/v1alpha1',
      kind: 'Volume',
      metadata: { name: 'web-1-boot', namespace: 't1' },
      spec: { size: '1Gi' },
      status: { image: { name: 'trixie', namespace: 't1', uid: 'u' } },
    };
    expect(decideOperation(same, world(inst, [image('debian')], [boot]))).toMatchObject({
      wait: { reason: 'ImageNotFound', message: expect.stringContaining('t1/trixie') },
    });
    expect(decideOperation(same, world(inst, [image('trixie')], [boot]))).toMatchObject({
      bind: 'h1',
    });
  });

  it('refuses for good when its instance moved to another host after it was bound', () => {
    const op = operation({}, { bound: 'h1', status: { instanceUID: 'uid-web-1' } });
    expect(decideOperation(op, world(instance({ host: 'h2' })))).toEqual({
      refuse: { reason: 'InstanceMoved', message: expect.stringContaining('h1'), retry: false },
    });
  });

  it('refuses for good when the instance it was bound to is deleted or replaced', () => {
    const op = operation({}, { bound: 'h1', status: { instanceUID: 'uid-web-1' } });
    expect(decideOperation(op, world())).toMatchObject({
      refuse: { reason: 'InstanceDeleted', retry: false },
    });
    expect(decideOperation(op, world(instance({ host: 'h1', deleting: true })))).toMatchObject({
      refuse: { reason: 'InstanceDeleted', retry: false },
    });
    expect(decideOperation(op, world(instance({ host: 'h1', uid: 'uid-2' })))).toMatchObject({
      refuse: { reason: 'InstanceReplaced', retry: false },
    });
    // Not bound yet: an instance being deleted is waited out (a new one may come).
    expect(decideOperation(operation(), world(instance({ deleting: true })))).toMatchObject({
      wait: { reason: 'InstanceDeleting' },
    });
  });

  it('keeps an ended operation where it ran, whatever its instance does now', () => {
    const done = operation(
      {},
      {
        bound: 'h1',
        status: { instanceUID: 'uid-web-1', completionTime: '2026-01-01T00:00:00Z' },
      },
    );
    expect(decideOperation(done, world())).toEqual({
      bind: 'h1',
      status: { instanceUID: 'uid-web-1' },
    });
    expect(decideOperation(done, world(instance({ host: 'h2' })))).toMatchObject({ bind: 'h1' });
  });

  it('keeps refusing an operation it failed, even when the instance comes back', () => {
    const failed = operation(
      {},
      {
        bound: 'h1',
        status: {
          instanceUID: 'uid-web-1',
          phase: 'Failed',
          conditions: [scheduledFalse('InstanceMoved')],
        },
      },
    );
    expect(decideOperation(failed, world(instance({ host: 'h1' })))).toEqual({
      refuse: { reason: 'InstanceMoved', message: 'said InstanceMoved', retry: false },
    });
  });
});
