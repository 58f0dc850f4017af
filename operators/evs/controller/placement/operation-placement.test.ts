import { describe, expect, it } from '@jest/globals';
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { ImageObject } from '../../../ecs/index.ts';
import type { VolumeObject, VolumeOperationObject } from '../../api/index.ts';
import { placeOperation } from './operation-placement.ts';

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
const volume = (
  attachments: { instance: string; host: string }[] = [],
  storagePool = 'shared',
): VolumeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { name: 'boot', namespace: 'ns', uid: 'uid-boot', labels: { [hostLabel]: 'h1' } },
  spec: { size: '10Gi', source: { image: { name: 'a' } } },
  status: { ...ready, storagePool, attachments },
});
const image = (name: string, namespace: string, pool: string, isReady = true): ImageObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Image',
  metadata: { name, namespace, uid: `uid-${name}` },
  spec: { source: { url: { url: 'http://127.0.0.1/x.qcow2', sha256: 'a'.repeat(64) } } },
  status: { ...(isReady ? ready : {}), storagePool: pool, virtualSizeBytes: 1024 ** 3 },
});
const reimage = (name: string, namespace?: string): VolumeOperationObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeOperation',
  metadata: { name: 'op', namespace: 'ns', uid: 'uid-op' },
  spec: {
    volumeRef: { name: 'boot' },
    reimage: { imageRef: { name, ...(namespace ? { namespace } : {}) } },
  },
});
const place = (op: VolumeOperationObject, vol: VolumeObject | undefined, images: ImageObject[]) =>
  placeOperation(op, {
    volume: (ns, name) => (vol && ns === 'ns' && name === 'boot' ? vol : undefined),
    snapshot: () => undefined,
    image: (ns, name) =>
      images.find((i) => i.metadata.namespace === ns && i.metadata.name === name),
    pool: (name) => ({
      apiVersion: 'evs.kcloud.io/v1alpha1',
      kind: 'StoragePool',
      metadata: { name },
      spec:
        name === 'local'
          ? { type: 'File', file: { path: '/pools/local', scope: 'Local' } }
          : { type: 'File', file: { path: '/shared/pool', scope: 'Shared' } },
    }),
  });

describe('placeOperation: reimage', () => {
  it('runs on the volume’s host once the image is ready in the volume’s pool', () => {
    expect(place(reimage('b'), volume(), [image('b', 'ns', 'shared')])).toEqual({
      bind: 'h1',
      status: {},
    });
    // A public image, named with its namespace.
    expect(
      place(reimage('b', 'kcloud-public'), volume(), [image('b', 'kcloud-public', 'shared')]),
    ).toEqual({ bind: 'h1', status: {} });
  });

  it('waits for a missing image (ImageNotFound) and for one not ready yet', () => {
    expect(place(reimage('b'), volume(), [])).toEqual({
      wait: { reason: 'ImageNotFound', message: 'Image ns/b does not exist' },
    });
    // Of the same name in another namespace is not the one named.
    expect(place(reimage('b'), volume(), [image('b', 'kcloud-public', 'shared')])).toMatchObject({
      wait: { reason: 'ImageNotFound' },
    });
    expect(place(reimage('b'), volume(), [image('b', 'ns', 'shared', false)])).toMatchObject({
      wait: { reason: 'WaitingForImage' },
    });
  });

  it('refuses an image of another pool, saying where to import it', () => {
    const decision = place(reimage('b'), volume(), [image('b', 'ns', 'other')]);
    expect(decision).toMatchObject({ refuse: { reason: 'SourceInOtherPool', retry: false } });
    expect(JSON.stringify(decision)).toContain('import the image into shared');
  });

  it('uses a Local pool’s image only on the volume’s host', () => {
    const onHost = (host: string, pool = 'local') => {
      const img = image('b', 'ns', pool);
      return { ...img, status: { ...img.status, host } };
    };
    expect(place(reimage('b'), volume([], 'local'), [onHost('h1')])).toEqual({
      bind: 'h1',
      status: {},
    });
    const decision = place(reimage('b'), volume([], 'local'), [onHost('h2')]);
    expect(decision).toMatchObject({ refuse: { reason: 'ImageOnOtherHost', retry: false } });
    expect(JSON.stringify(decision)).toContain('use an image imported on h1');
    // A Shared pool's image is on every host.
    expect(place(reimage('b'), volume(), [onHost('h2', 'shared')])).toMatchObject({ bind: 'h1' });
  });

  it('waits while the volume is attached (VolumeInUse), and for a volume not there', () => {
    expect(
      place(reimage('b'), volume([{ instance: 'vm', host: 'h2' }]), [image('b', 'ns', 'shared')]),
    ).toEqual({
      wait: {
        reason: 'VolumeInUse',
        message: 'Volume boot is attached: detach it; the operation runs then',
      },
    });
    expect(place(reimage('b'), undefined, [image('b', 'ns', 'shared')])).toMatchObject({
      wait: { reason: 'VolumeNotFound' },
    });
  });

  it('keeps an operation that has run where it ran, whatever the image or volume do', () => {
    const done: VolumeOperationObject = {
      ...reimage('b'),
      metadata: { ...reimage('b').metadata, labels: { [hostLabel]: 'h1' } },
      status: { completionTime: '2026-01-01T00:00:00Z' },
    };
    expect(place(done, volume([{ instance: 'vm', host: 'h2' }]), [])).toEqual({
      bind: 'h1',
      status: {},
    });
  });
});
