// The EVS kinds and Image refuse bad input at the API server, before any controller sees it:
// sizes that are zero, not whole GiB or too big, a shrink, sources that are ambiguous or in
// another namespace, operations naming no action or two, pools that contradict their type,
// paths that climb out, changed immutable fields. Good objects are accepted.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('evs-api');

const evs = 'evs.kcloud.io/v1alpha1';
const ecs = 'ecs.kcloud.io/v1alpha1';
const doc = (apiVersion: string, kind: string, name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

async function refused(apiVersion: string, kind: string, name: string, spec: object) {
  const r = await rejection(cluster.apply(doc(apiVersion, kind, name, spec)));
  expect(r.code).toBe(422);
  return r.message;
}

// Cluster-scoped names are shared by every test file: prefix them with this file's namespace.
let pool: string;

beforeAll(async () => {
  pool = `${cluster.namespace}-files`;
  await cluster.apply(
    [
      doc(evs, 'StoragePool', pool, {
        type: 'File',
        file: { path: '/var/lib/kcloud/pools/local', scope: 'Local' },
      }),
      doc(evs, 'VolumeType', `${cluster.namespace}-normal`, {
        storagePoolRef: { name: pool },
        qos: { iops: { base: 500, perGiB: 10, max: 5000 } },
      }),
      doc(evs, 'Volume', 'data', { size: '10Gi', volumeTypeRef: { name: 'normal' } }),
      doc(evs, 'Volume', 'boot', { size: 20 * 1024 ** 3, source: { image: { name: 'debian' } } }),
      doc(evs, 'Volume', 'pub', {
        size: '1Ti',
        source: { image: { name: 'debian', namespace: 'kcloud-public' } },
      }),
      doc(evs, 'VolumeSnapshot', 'snap', { volumeRef: { name: 'data' } }),
      doc(evs, 'VolumeOperation', 'back', {
        volumeRef: { name: 'data' },
        revert: { snapshotRef: { name: 'snap' } },
      }),
      doc(evs, 'VolumeOperation', 'fresh', {
        volumeRef: { name: 'boot' },
        reimage: { imageRef: { name: 'debian' } },
      }),
      doc(evs, 'VolumeOperation', 'fresh-public', {
        volumeRef: { name: 'boot' },
        reimage: { imageRef: { name: 'debian', namespace: 'kcloud-public' } },
      }),
      doc(ecs, 'Image', 'debian', {
        source: { url: { url: 'http://127.0.0.1:8080/debian.qcow2', sha256: 'a'.repeat(64) } },
        format: 'qcow2',
      }),
    ].join('---\n'),
  );
});

describe('Volume', () => {
  it.each([
    ['zero', 0, 'size must be from 1Gi to 32Ti'],
    ['not whole GiB', '1500Mi', 'size must be a whole number of GiB'],
    ['decimal units', '10G', 'size must be a whole number of GiB'],
    ['too big', '33Ti', 'size must be from 1Gi to 32Ti'],
    ['a fraction', '1.5Ti', 'without a fraction'],
    ['not a quantity', 'ten', 'spec.size'],
  ])('refuses a size that is %s', async (_what, size, message) => {
    expect(await refused(evs, 'Volume', 'bad-size', { size })).toContain(message);
  });

  it('refuses shrinking, and accepts growing', async () => {
    expect(
      await refused(evs, 'Volume', 'data', { size: '5Gi', volumeTypeRef: { name: 'normal' } }),
    ).toContain('size cannot shrink');
    await cluster.apply(
      doc(evs, 'Volume', 'data', { size: '11Gi', volumeTypeRef: { name: 'normal' } }),
    );
  });

  it('refuses two sources, and an image of another namespace', async () => {
    expect(
      await refused(evs, 'Volume', 'two', {
        size: '1Gi',
        source: { snapshot: { name: 's' }, volume: { name: 'v' } },
      }),
    ).toContain('exactly one of image, snapshot or volume');
    expect(
      await refused(evs, 'Volume', 'other-ns', {
        size: '1Gi',
        source: { image: { name: 'debian', namespace: 'someone-else' } },
      }),
    ).toContain('kcloud-public');
    expect(await refused(evs, 'Volume', 'empty', { size: '1Gi', source: {} })).toContain(
      'exactly one of',
    );
  });

  it('refuses changing the type or source', async () => {
    expect(
      await refused(evs, 'Volume', 'data', { size: '11Gi', volumeTypeRef: { name: 'fast' } }),
    ).toContain('volumeTypeRef is immutable');
    expect(await refused(evs, 'Volume', 'data', { size: '11Gi' })).toContain(
      'cannot be added or removed',
    );
    expect(
      await refused(evs, 'Volume', 'boot', { size: '20Gi', source: { image: { name: 'other' } } }),
    ).toContain('source is immutable');
  });
});

describe('StoragePool and VolumeType', () => {
  it('refuses a pool whose settings contradict its type', async () => {
    expect(
      await refused(evs, 'StoragePool', `${cluster.namespace}-x`, {
        type: 'RBD',
        file: { path: '/p', scope: 'Local' },
      }),
    ).toContain('set file for type File and rbd for type RBD');
  });

  it('refuses a relative or climbing path', async () => {
    for (const path of ['relative/dir', '/var/lib/../../etc']) {
      await refused(evs, 'StoragePool', `${cluster.namespace}-y`, {
        type: 'File',
        file: { path, scope: 'Local' },
      });
    }
  });

  it('refuses an RBD pool without a secret or with a bad monitor', async () => {
    const rbd = {
      monitors: ['127.0.0.1:6789'],
      pool: 'volumes',
      user: 'kcloud',
      secretRef: { name: 'ceph', namespace: 'kcloud-system' },
    };
    await cluster.apply(doc(evs, 'StoragePool', `${cluster.namespace}-rbd`, { type: 'RBD', rbd }));
    expect(
      await refused(evs, 'StoragePool', `${cluster.namespace}-rbd2`, {
        type: 'RBD',
        rbd: { ...rbd, monitors: ['127.0.0.1'] },
      }),
    ).toContain('monitors');
  });

  it('refuses changing the pool of a type, and an empty limit', async () => {
    expect(
      await refused(evs, 'VolumeType', `${cluster.namespace}-normal`, {
        storagePoolRef: { name: 'elsewhere' },
      }),
    ).toContain('storagePoolRef is immutable');
    expect(
      await refused(evs, 'VolumeType', `${cluster.namespace}-t2`, {
        storagePoolRef: { name: pool },
        qos: { iops: { max: 10 } },
      }),
    ).toContain('give base or perGiB');
  });
});

describe('VolumeOperation and Image', () => {
  it('refuses an operation without an action, and any change to one', async () => {
    expect(
      await refused(evs, 'VolumeOperation', 'nothing', { volumeRef: { name: 'data' } }),
    ).toContain('name the action');
    expect(
      await refused(evs, 'VolumeOperation', 'back', {
        volumeRef: { name: 'data' },
        revert: { snapshotRef: { name: 'other' } },
      }),
    ).toContain('an operation cannot be changed');
  });

  it('refuses a reimage with a revert, without an image, or of another tenant’s image', async () => {
    expect(
      await refused(evs, 'VolumeOperation', 'both', {
        volumeRef: { name: 'boot' },
        revert: { snapshotRef: { name: 'snap' } },
        reimage: { imageRef: { name: 'debian' } },
      }),
    ).toContain('exactly one of revert or reimage');
    expect(
      await refused(evs, 'VolumeOperation', 'noimage', {
        volumeRef: { name: 'boot' },
        reimage: {},
      }),
    ).toContain('imageRef');
    expect(
      await refused(evs, 'VolumeOperation', 'theirs', {
        volumeRef: { name: 'boot' },
        reimage: { imageRef: { name: 'debian', namespace: 'other-tenant' } },
      }),
    ).toContain("an image is in the Volume's namespace or in kcloud-public");
    expect(
      await refused(evs, 'VolumeOperation', 'fresh', {
        volumeRef: { name: 'boot' },
        reimage: { imageRef: { name: 'other' } },
      }),
    ).toContain('an operation cannot be changed');
  });

  it('refuses an image without a checksum, with two sources, or a climbing path', async () => {
    expect(
      await refused(ecs, 'Image', 'nosum', { source: { url: { url: 'http://127.0.0.1/x.img' } } }),
    ).toContain('sha256');
    expect(
      await refused(ecs, 'Image', 'two', {
        source: {
          url: { url: 'http://127.0.0.1/x.img', sha256: 'b'.repeat(64) },
          volume: { name: 'data' },
        },
      }),
    ).toContain('exactly one of url, hostFile or volume');
    expect(
      await refused(ecs, 'Image', 'climb', {
        source: { hostFile: { host: 'h1', path: '/srv/images/../../etc/shadow' } },
      }),
    ).toContain('must not contain . or ..');
    expect(
      await refused(ecs, 'Image', 'ftp', {
        source: { url: { url: 'ftp://127.0.0.1/x.img', sha256: 'b'.repeat(64) } },
      }),
    ).toContain('url');
  });
});
