import { describe, expect, it } from '@jest/globals';
import { SimulatedPool, SimulatedPools } from './simulated-pools.ts';

const vol = { namespace: 'ns', name: 'v', uid: 'u-1' };

describe('simulated pools', () => {
  it('answer for what was made, grow and never shrink', async () => {
    const pool = new SimulatedPool();
    expect(await pool.inspectVolume(vol)).toBeUndefined();
    await pool.createVolume({ volume: vol, sizeBytes: 1024 });
    await pool.createVolume({ volume: vol, sizeBytes: 1024 });
    expect(await pool.listObjects()).toHaveLength(1);
    expect((await pool.growVolume(vol, 2048)).virtualSizeBytes).toBe(2048);
    await expect(pool.growVolume(vol, 1)).rejects.toMatchObject({ reason: 'ShrinkRefused' });
    await pool.createSnapshot({ namespace: 'ns', name: 's', uid: 's-1', volumeUid: 'u-1' });
    expect(await pool.listSnapshots(vol)).toHaveLength(1);
    await pool.deleteVolume(vol);
    expect(await pool.inspectVolume(vol)).toBeUndefined();
  });

  it('reimage a volume, keeping its size, unless it has snapshots or is smaller', async () => {
    const pool = new SimulatedPool();
    const image = { namespace: 'ns', name: 'img', uid: 'i-1' };
    await pool.importImage({ image, source: { kind: 'Url', url: 'http://127.0.0.1/x' } });
    await pool.createVolume({ volume: vol, sizeBytes: 1024 });
    await expect(pool.reimageVolume(vol, image)).rejects.toMatchObject({ reason: 'InvalidSize' });
    await pool.growVolume(vol, 2 * 1024 ** 3);
    expect(await pool.reimageVolume(vol, image)).toMatchObject({
      virtualSizeBytes: 2 * 1024 ** 3,
      image,
      parent: { kind: 'Image', uid: 'i-1' },
    });
    await pool.createSnapshot({ namespace: 'ns', name: 's', uid: 's-1', volumeUid: 'u-1' });
    await expect(pool.reimageVolume(vol, image)).rejects.toMatchObject({ reason: 'HasSnapshots' });
  });

  it('exist only for StoragePools that exist', async () => {
    const pools = new SimulatedPools((name) =>
      name === 'p'
        ? {
            apiVersion: 'evs.kcloud.io/v1alpha1',
            kind: 'StoragePool',
            metadata: { name },
            spec: { type: 'File' },
          }
        : undefined,
    );
    expect(await pools.backendFor('p')).toBe(await pools.backendFor('p'));
    await expect(pools.backendFor('q')).rejects.toMatchObject({ reason: 'PoolUnreachable' });
  });
});
