import { describe, expect, it } from '@jest/globals';
import { ObjectClient } from '../../../../controllers/kube/index.ts';
import { RecordingApi } from '../../../../controllers/testing/index.ts';
import {
  VolumeOperation,
  type VolumeObject,
  type VolumeOperationObject,
} from '../../../evs/api/index.ts';
import {
  InstanceOperation,
  type InstanceObject,
  type InstanceOperationObject,
} from '../../api/index.ts';
import { operationClient } from './operation-client.ts';
import { secretResource, type SecretObject } from './password-copy.ts';

const signal = new AbortController().signal;
const hostLabel = 'ecs.kcloud.io/host';

const instance: InstanceObject = {
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Instance',
  metadata: { namespace: 't1', name: 'web-1', uid: 'uid-web-1' },
  spec: { flavorRef: { name: 'small' }, imageRef: { name: 'debian' } },
};

function setup(o: {
  status?: InstanceOperationObject['status'];
  imageRef?: string;
  bootImage?: string;
  volOp?: VolumeOperationObject['status'];
}) {
  const api = new RecordingApi();
  const operations = new ObjectClient<InstanceOperationObject>(api, InstanceOperation.resource);
  const volumeOperations = new ObjectClient<VolumeOperationObject>(api, VolumeOperation.resource);
  const op = api.seed(operations, {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'InstanceOperation',
    metadata: { namespace: 't1', name: 'op', uid: 'uid-op', labels: { [hostLabel]: 'h1' } },
    spec: {
      instanceRef: { name: 'web-1' },
      action: 'rebuild',
      ...(o.imageRef ? { rebuild: { imageRef: { name: o.imageRef } } } : {}),
    },
    ...(o.status ? { status: o.status } : {}),
  });
  const boot: VolumeObject = {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'Volume',
    metadata: { namespace: 't1', name: 'web-1-boot' },
    spec: { size: '1Gi' },
    ...(o.bootImage
      ? { status: { image: { name: o.bootImage, namespace: 't1', uid: 'img' } } }
      : {}),
  };
  const volOp: VolumeOperationObject | undefined = o.volOp && {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'VolumeOperation',
    metadata: { namespace: 't1', name: 'rebuild-uid-op' },
    spec: { volumeRef: { name: 'web-1-boot' }, reimage: { imageRef: { name: 'made-with' } } },
    status: o.volOp,
  };
  const external = operationClient(op, {
    operations,
    secrets: new ObjectClient<SecretObject>(api, secretResource),
    hostsNamespace: 'hosts',
    decide: () => ({ bind: 'h1', status: { instanceUID: 'uid-web-1' } }),
    hostReady: () => true,
    finalizer: 'ecs.kcloud.io/cleanup',
    rebuild: {
      world: {
        instance: () => instance,
        volume: (_ns, name) => (name === 'web-1-boot' ? boot : undefined),
        volumeOperation: () => volOp,
      },
      volumeOperations,
    },
  });
  return { api, op, external, volumeOperations };
}

const started = { instanceUID: 'uid-web-1', startTime: '2026-12-05T10:00:00Z' };

describe('the manager’s part of a rebuild', () => {
  it('does nothing but bind until the agent has stopped the VM', async () => {
    const s = setup({ status: { instanceUID: 'uid-web-1' } });
    expect(await s.external.observe(s.op, signal)).toMatchObject({
      exists: true,
      upToDate: true,
      observed: { status: { instanceUID: 'uid-web-1' } },
    });
    expect(s.api.writes()).toEqual([]);
  });

  it('then makes the VolumeOperation that re-makes the boot volume, once', async () => {
    const s = setup({ status: started, imageRef: 'trixie' });
    const seen = await s.external.observe(s.op, signal);
    expect(seen).toMatchObject({
      upToDate: false,
      observed: {
        status: {
          rebuild: {
            volumeOperation: 'rebuild-uid-op',
            volume: 'web-1-boot',
            image: { name: 'trixie', namespace: 't1' },
            phase: 'Pending',
          },
        },
      },
    });
    await s.external.update(s.op, seen, signal);
    expect(s.api.peek(s.volumeOperations, 't1', 'rebuild-uid-op')).toMatchObject({
      metadata: {
        ownerReferences: [
          { kind: 'InstanceOperation', name: 'op', uid: 'uid-op', controller: true },
        ],
      },
      spec: { volumeRef: { name: 'web-1-boot' }, reimage: { imageRef: { name: 'trixie' } } },
    });
    // The second look of the same reconcile does not find it in the cache: made, not again.
    expect(await s.external.observe(s.op, signal)).toMatchObject({ upToDate: true });
    expect(s.api.writes()).toHaveLength(1);
  });

  it('rebuilds without an image from the one the boot volume was last made from', async () => {
    const s = setup({ status: started, bootImage: 'bookworm' });
    expect(await s.external.observe(s.op, signal)).toMatchObject({
      observed: { status: { rebuild: { image: { name: 'bookworm', namespace: 't1' } } } },
    });
  });

  it('copies how the VolumeOperation goes, and keeps it once the operation ended', async () => {
    const s = setup({
      status: started,
      volOp: {
        phase: 'Failed',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'HasSnapshots',
            message: 'delete its VolumeSnapshots first',
            lastTransitionTime: '2026-12-05T10:00:00Z',
          },
        ],
      },
    });
    const seen = await s.external.observe(s.op, signal);
    const rebuild = {
      volumeOperation: 'rebuild-uid-op',
      volume: 'web-1-boot',
      image: { name: 'made-with', namespace: 't1' },
      phase: 'Failed',
      reason: 'HasSnapshots',
      message: 'delete its VolumeSnapshots first',
    };
    expect(seen).toMatchObject({ upToDate: true, observed: { status: { rebuild } } });

    const ended = setup({
      status: { ...started, completionTime: '2026-12-05T10:01:00Z', rebuild },
    });
    expect(await ended.external.observe(ended.op, signal)).toMatchObject({
      observed: { status: { instanceUID: 'uid-web-1', rebuild } },
    });
  });
});
