import { describe, expect, it } from '@jest/globals';
import type { VolumeObject } from '../api/index.ts';
import type {
  CreateVolumeRequest,
  OwnerRef,
  StorageBackend,
  VolumeInfo,
} from '../backend/index.ts';
import type { SourceReader } from './sources.ts';
import { volumeData } from './volume-data.ts';

const GiB = 2 ** 30;

/** A pool that counts how often it is asked what a volume is. */
function countingPool() {
  const volumes = new Map<string, VolumeInfo>();
  const calls = { inspect: 0, create: 0 };
  const backend = {
    inspectVolume: (v: OwnerRef) => {
      calls.inspect++;
      return Promise.resolve(volumes.get(v.uid));
    },
    createVolume: (req: CreateVolumeRequest) => {
      calls.create++;
      const info: VolumeInfo = {
        owner: req.volume,
        id: `vol-${req.volume.uid}`,
        virtualSizeBytes: req.sizeBytes,
        allocatedBytes: 0,
        format: 'qcow2',
      };
      volumes.set(req.volume.uid, info);
      return Promise.resolve(info);
    },
  } as unknown as StorageBackend;
  return { backend, calls };
}

const noSources: SourceReader = {
  image: () => Promise.resolve(undefined),
  snapshot: () => Promise.resolve(undefined),
  volume: () => Promise.resolve(undefined),
};

const volume = {
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { namespace: 'ns', name: 'v', uid: 'u-1', generation: 1 },
  spec: { size: '1Gi', volumeTypeRef: { name: 't' } },
  status: { storagePool: 'p' },
} as unknown as VolumeObject;

describe('a volume’s data', () => {
  it('is known from the create that made it, without asking the pool again', async () => {
    const { backend, calls } = countingPool();
    const pools = { backendFor: () => Promise.resolve(backend) };
    const signal = new AbortController().signal;
    const client = volumeData(volume, { pools, sources: noSources });

    expect(await client.observe(volume, signal)).toEqual({ exists: false, upToDate: false });
    await client.create(volume, signal);
    const after = await client.observe(volume, signal);
    expect(after).toMatchObject({ exists: true, upToDate: true });
    expect(after.observed?.virtualSizeBytes).toBe(GiB);
    expect(calls).toEqual({ inspect: 1, create: 1 });

    // Only the look right after the create: later ones ask the pool.
    await client.observe(volume, signal);
    expect(calls.inspect).toBe(2);
  });
});
