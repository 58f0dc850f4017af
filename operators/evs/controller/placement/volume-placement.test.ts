import { describe, expect, it } from '@jest/globals';
import type { ImageObject } from '../../../ecs/index.ts';
import type {
  StoragePoolObject,
  VolumeObject,
  VolumeSnapshotObject,
  VolumeTypeObject,
} from '../../api/index.ts';
import type { HostView } from './hosts.ts';
import { placeVolume, type VolumeWorld } from './volume-placement.ts';

const GiB = 1024 ** 3;
const ready = {
  conditions: [
    {
      type: 'Ready',
      status: 'True' as const,
      reason: 'Available',
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
};
const pool = (name: string, scope: 'Local' | 'Shared'): StoragePoolObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'StoragePool',
  metadata: { name },
  spec: { type: 'File', file: { path: `/pools/${name}`, scope } },
});
const type = (name: string, poolName: string, isDefault = false): VolumeTypeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeType',
  metadata: { name },
  spec: {
    storagePoolRef: { name: poolName },
    default: isDefault,
    qos: { iops: { base: 100, perGiB: 1 } },
  },
});
const host = (name: string, pools: string[]): HostView => ({
  name,
  ready: true,
  schedulable: true,
  pools: new Map(pools.map((p) => [p, { availableBytes: 100 * GiB, capacityBytes: 100 * GiB }])),
});
const volume = (name: string, spec: Partial<VolumeObject['spec']> = {}): VolumeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  spec: { size: '10Gi', ...spec },
});
const image = (over: Partial<NonNullable<ImageObject['status']>> = {}): ImageObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Image',
  metadata: { name: 'img', namespace: 'ns' },
  spec: { source: { url: { url: 'http://x/y', sha256: 'a'.repeat(64) } } },
  status: { ...ready, storagePool: 'local', host: 'h2', virtualSizeBytes: 2 * GiB, ...over },
});

function world(over: Partial<VolumeWorld> = {}): VolumeWorld {
  const pools = [pool('local', 'Local'), pool('shared', 'Shared')];
  return {
    types: [type('local', 'local', true), type('shared', 'shared')],
    pool: (n) => pools.find((p) => p.metadata.name === n),
    hosts: [host('h1', ['local', 'shared']), host('h2', ['local', 'shared'])],
    image: () => undefined,
    snapshot: () => undefined,
    volume: () => undefined,
    ...over,
  };
}

describe('placeVolume', () => {
  it('binds a blank volume of the default type, with its limits', () => {
    const d = placeVolume(volume('v'), world());
    expect(d).toMatchObject({ status: { storagePool: 'local', qos: { iops: 110 } } });
  });

  it('puts a clone of a Local image on the image host', () => {
    const w = world({ image: () => image() });
    expect(placeVolume(volume('v', { source: { image: { name: 'img' } } }), w)).toMatchObject({
      bind: 'h2',
    });
  });

  it('waits for an image that is importing, and for a missing one', () => {
    const importing = image({ conditions: [] });
    expect(
      placeVolume(
        volume('v', { source: { image: { name: 'img' } } }),
        world({ image: () => importing }),
      ),
    ).toMatchObject({ wait: { reason: 'WaitingForImage' } });
    expect(placeVolume(volume('v', { source: { image: { name: 'img' } } }), world())).toMatchObject(
      {
        wait: { reason: 'ImageNotFound' },
      },
    );
  });

  it('refuses a source in another pool or bigger than the volume', () => {
    const w = world({ image: () => image({ virtualSizeBytes: 20 * GiB }) });
    expect(placeVolume(volume('v', { source: { image: { name: 'img' } } }), w)).toMatchObject({
      refuse: { reason: 'SourceLargerThanVolume', retry: false },
    });
    expect(
      placeVolume(
        volume('v', { volumeTypeRef: { name: 'shared' }, source: { image: { name: 'img' } } }),
        world({ image: () => image() }),
      ),
    ).toMatchObject({ refuse: { reason: 'SourceInOtherPool' } });
  });

  it('refuses cloning itself, and waits for an attached source volume', () => {
    expect(placeVolume(volume('v', { source: { volume: { name: 'v' } } }), world())).toMatchObject({
      refuse: { reason: 'SourceIsSelf' },
    });
    const src = volume('src');
    src.status = {
      ...ready,
      storagePool: 'local',
      host: 'h1',
      sizeBytes: GiB,
      attachments: [{ instance: 'i', host: 'h1' }],
    };
    expect(
      placeVolume(
        volume('v', { source: { volume: { name: 'src' } } }),
        world({ volume: () => src }),
      ),
    ).toMatchObject({ wait: { reason: 'SourceVolumeInUse' } });
  });

  it('waits for a snapshot not ready to use', () => {
    const snap: VolumeSnapshotObject = {
      apiVersion: 'evs.kcloud.io/v1alpha1',
      kind: 'VolumeSnapshot',
      metadata: { name: 's', namespace: 'ns' },
      spec: { volumeRef: { name: 'x' } },
      status: { readyToUse: false },
    };
    expect(
      placeVolume(
        volume('v', { source: { snapshot: { name: 's' } } }),
        world({ snapshot: () => snap }),
      ),
    ).toMatchObject({ wait: { reason: 'WaitingForVolumeSnapshot' } });
  });

  it('waits while no host reaches the pool', () => {
    expect(placeVolume(volume('v'), world({ hosts: [] }))).toMatchObject({
      wait: { reason: 'NoHostForPool' },
    });
  });
});
