import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { VolumeOperationObject } from '../api/index.ts';
import { StorageError } from '../backend/index.ts';
import { operationRun } from './operation-run.ts';
import { SimulatedPool } from './simulated-pools.ts';

const boot = { namespace: 'ns', name: 'boot', uid: 'u-boot' };
const volume: KubeObject & { status: { storagePool: string; attachments: [] } } = {
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: boot,
  status: { storagePool: 'p', attachments: [] },
};
const image: KubeObject = {
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Image',
  metadata: { namespace: 'ns', name: 'b', uid: 'u-b' },
};
const reimage = (): VolumeOperationObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeOperation',
  metadata: { namespace: 'ns', name: 'op', uid: 'u-op' },
  spec: { volumeRef: { name: 'boot' }, reimage: { imageRef: { name: 'b' } } },
});

async function setup() {
  const pool = new SimulatedPool();
  await pool.createVolume({
    volume: boot,
    sizeBytes: 1,
  });
  const run = operationRun(reimage(), {
    pools: { backendFor: () => Promise.resolve(pool) },
    sources: {
      image: (ns, name) => Promise.resolve(ns === 'ns' && name === 'b' ? image : undefined),
      snapshot: () => Promise.resolve(undefined),
      volume: () => Promise.resolve(volume),
    },
    now: () => Date.parse('2026-01-01T00:00:00Z'),
  });
  return { pool, run };
}

const signal = new AbortController().signal;

describe('operationRun: reimage', () => {
  it('reimages the volume from the image and records when', async () => {
    const { pool, run } = await setup();
    const op = reimage();
    await run.create(op, signal);
    expect(op.status?.completionTime).toBe('2026-01-01T00:00:00Z');
    expect((await pool.inspectVolume(boot))?.image).toEqual({
      namespace: 'ns',
      name: 'b',
      uid: 'u-b',
    });
    expect(await run.observe(op, signal)).toMatchObject({ exists: true, upToDate: true });
  });

  it('ends refused for good when the volume has snapshots, and stays so', async () => {
    const { pool, run } = await setup();
    await pool.createSnapshot({ namespace: 'ns', name: 's', uid: 'u-s', volumeUid: 'u-boot' });
    const op = reimage();
    await expect(run.create(op, signal)).rejects.toMatchObject({
      reason: 'HasSnapshots',
      retry: false,
    });
    expect(op.status?.completionTime).toBeDefined();
    // As the reconcile records it: ended, Executed=False with the reason.
    op.status = {
      ...op.status,
      conditions: [
        {
          type: 'Executed',
          status: 'False',
          reason: 'HasSnapshots',
          message: 'delete its VolumeSnapshots first',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    // The snapshot gone, the operation still does not run: it has ended.
    await pool.deleteSnapshot({ namespace: 'ns', name: 's', uid: 'u-s', volumeUid: 'u-boot' });
    await expect(run.observe(op, signal)).rejects.toMatchObject({
      reason: 'HasSnapshots',
      retry: false,
    });
    expect((await pool.inspectVolume(boot))?.image).toBeUndefined();
  });

  it('retries what may pass (a busy volume, a missing image), recording nothing', async () => {
    const { pool, run } = await setup();
    const busy = new StorageError('Busy', 'open by a running QEMU');
    pool.reimageVolume = () => Promise.reject(busy);
    const op = reimage();
    await expect(run.create(op, signal)).rejects.toBe(busy);
    expect(op.status?.completionTime).toBeUndefined();
    const missing = {
      ...reimage(),
      spec: { volumeRef: { name: 'boot' }, reimage: { imageRef: { name: 'c' } } },
    };
    await expect(run.create(missing, signal)).rejects.toMatchObject({
      reason: 'ImageNotFound',
      retry: true,
    });
    expect(missing.status).toBeUndefined();
  });
});
