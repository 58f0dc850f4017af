// A Volume reimaged through a VolumeOperation on the real API server, the same on every kind
// of pool (file-pools.test.ts and rbd-pools.test.ts run it with their own pool and view of
// it): the data become a fresh clone of another Image, the mark written before is gone, the
// Volume keeps its uid and size and says which Image it was made from; an attached Volume
// waits until detached; an Image larger than the Volume, and a Volume with a snapshot, end the
// operation Failed with the data untouched, and it stays so once the Volume changed; a
// missing Image is waited for.
import path from 'node:path';
import { expect } from '@jest/globals';
import type { KubeObject } from '../../../controllers/index.ts';
import { Image, type ImageObject } from '../../../operators/ecs/index.ts';
import type { StorageBackend } from '../../../operators/evs/backend/index.ts';
import {
  Volume,
  VolumeOperation,
  VolumeSnapshot,
  type VolumeObject,
  type VolumeOperationObject,
  type VolumeSnapshotObject,
} from '../../../operators/evs/index.ts';
import { waitFor, type TestCluster } from '../../harness/index.ts';
import {
  expectPattern,
  MiB,
  qemuImg,
  qemuIo,
  sha256,
  writePattern,
} from './backend/pool-fixtures.ts';
import {
  clientFor,
  doc,
  ecsApi,
  evsApi,
  ownerOf,
  waitReady,
  type EvsWorld,
} from './evs-fixture.ts';

export interface ReimageSetup {
  cluster: TestCluster;
  world: EvsWorld;
  /** The StoragePool and a VolumeType of it. */
  pool: string;
  volumeType: string;
  /** The test's own view of the pool, as the volume's host sees it. */
  view: (host: string) => StorageBackend;
  /** A directory the HTTP server serves, and the URL of a file in it. */
  imagesDir: string;
  url: (file: string) => string;
  /** Names in the test namespace are prefixed with this. */
  prefix: string;
}

const GiB = 1024 ** 3;
const hostOf = (o: KubeObject) => o.metadata.labels?.['ecs.kcloud.io/host'] ?? '';

export async function reimageScenario(s: ReimageSetup): Promise<void> {
  const { cluster, world, prefix } = s;
  const ns = cluster.namespace;
  const n = (name: string) => `${prefix}-${name}`;
  const apply = (apiVersion: string, kind: string, name: string, spec: object) =>
    cluster.apply(doc(apiVersion, kind, name, spec));
  const volumes = clientFor<VolumeObject>(world, Volume.resource);
  const operations = clientFor<VolumeOperationObject>(world, VolumeOperation.resource);
  const getOp = (name: string) => () => operations.get(ns, name);

  // Image A: 0xab in its first MiB; B: 0xcd there; big: 2 GiB, more than the volume.
  const fileA = path.join(s.imagesDir, `${prefix}-a.qcow2`);
  const fileB = path.join(s.imagesDir, `${prefix}-b.qcow2`);
  const fileBig = path.join(s.imagesDir, `${prefix}-big.qcow2`);
  for (const [file, size] of [
    [fileA, '64M'],
    [fileB, '64M'],
    [fileBig, '2G'],
  ] as const) {
    await qemuImg(['create', '-f', 'qcow2', file, size]);
  }
  await qemuIo(fileA, 'write -P 0xab 0 1M');
  await qemuIo(fileB, 'write -P 0xcd 0 1M');
  for (const [name, file] of [
    ['a', fileA],
    ['b', fileB],
    ['big', fileBig],
  ] as const) {
    await apply(ecsApi, 'Image', n(name), {
      source: { url: { url: s.url(file), sha256: await sha256(file) } },
      storagePoolRef: { name: s.pool },
    });
  }
  const images = clientFor<ImageObject>(world, Image.resource);
  const [imgA, imgB] = await Promise.all(
    ['a', 'b', 'big'].map((name) => waitReady(() => images.get(ns, n(name)), 'True')),
  );
  const imageRef = (img: ImageObject | undefined) => ({
    name: img?.metadata.name,
    namespace: ns,
    uid: img?.metadata.uid,
  });

  // A volume of image A, with a mark of its own.
  const volName = n('vol');
  await apply(evsApi, 'Volume', volName, {
    size: '1Gi',
    volumeTypeRef: { name: s.volumeType },
    source: { image: { name: n('a') } },
  });
  const vol = await waitReady(() => volumes.get(ns, volName), 'True');
  expect(vol.status?.image).toEqual(imageRef(imgA));
  const host = hostOf(vol);
  const pool = s.view(host);
  // The pool records the image too (and this first look connects the test's view of it).
  expect((await pool.inspectVolume(ownerOf(vol)))?.image).toEqual(ownerOf(imgA ?? vol));
  await expectPattern(pool, ownerOf(vol), 0xab);
  await writePattern(pool, ownerOf(vol), 0x99, 4 * MiB);

  // Attached: the reimage waits, and the data stay.
  const attachment = n('vm');
  await apply(evsApi, 'VolumeAttachment', attachment, {
    volumeRef: { name: volName },
    instanceRef: { name: n('instance') },
    host,
  });
  await waitFor(
    async () =>
      (await volumes.get(ns, volName)).status?.attachments?.length === 1 ? true : undefined,
    { timeoutMs: 60_000, what: `Volume ${volName} attached` },
  );
  await apply(evsApi, 'VolumeOperation', n('to-b'), {
    volumeRef: { name: volName },
    reimage: { imageRef: { name: n('b') } },
  });
  const waiting = await waitReady(getOp(n('to-b')), 'False', 'VolumeInUse');
  expect(waiting.status?.phase).toBe('Pending');
  expect(waiting.status?.startTime).toBeUndefined();
  await expectPattern(pool, ownerOf(vol), 0x99, 4 * MiB);

  // Detached, it runs: image B's data, the mark gone, the same Volume and size.
  const r = await cluster.kubectl([
    'delete',
    '-n',
    ns,
    'volumeattachments.evs.kcloud.io',
    attachment,
  ]);
  expect(r.code).toBe(0);
  const done = await waitReady(getOp(n('to-b')), 'True');
  expect(done.status?.phase).toBe('Succeeded');
  await expectPattern(pool, ownerOf(vol), 0xcd);
  await expectPattern(pool, ownerOf(vol), 0x00, 4 * MiB);
  const reimaged = await waitFor(
    async () => {
      const got = await volumes.get(ns, volName);
      return got.status?.image?.uid === imgB?.metadata.uid ? got : undefined;
    },
    { timeoutMs: 60_000, what: `Volume ${volName} made from image B` },
  );
  expect(reimaged.metadata.uid).toBe(vol.metadata.uid);
  expect(reimaged.status).toMatchObject({ sizeBytes: GiB, image: imageRef(imgB) });
  expect(await pool.inspectVolume(ownerOf(vol))).toMatchObject({
    virtualSizeBytes: GiB,
    parent: { kind: 'Image', uid: imgB?.metadata.uid },
  });

  // An image larger than the volume: Failed, saying what to do, the data untouched.
  await writePattern(pool, ownerOf(vol), 0x77, 4 * MiB);
  await apply(evsApi, 'VolumeOperation', n('to-big'), {
    volumeRef: { name: volName },
    reimage: { imageRef: { name: n('big') } },
  });
  const tooBig = await waitReady(getOp(n('to-big')), 'False', 'InvalidSize');
  expect(tooBig.status?.phase).toBe('Failed');
  expect(tooBig.status?.completionTime).toBeDefined();
  expect(tooBig.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(
    /grow the volume first/,
  );
  await expectPattern(pool, ownerOf(vol), 0x77, 4 * MiB);

  // A volume with a snapshot: Failed (its snapshots live in the data replaced), untouched.
  const snapshots = clientFor<VolumeSnapshotObject>(world, VolumeSnapshot.resource);
  await apply(evsApi, 'VolumeSnapshot', n('snap'), { volumeRef: { name: volName } });
  await waitReady(() => snapshots.get(ns, n('snap')), 'True');
  await apply(evsApi, 'VolumeOperation', n('with-snap'), {
    volumeRef: { name: volName },
    reimage: { imageRef: { name: n('a') } },
  });
  const withSnap = await waitReady(getOp(n('with-snap')), 'False', 'HasSnapshots');
  expect(withSnap.status?.phase).toBe('Failed');
  expect(withSnap.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(
    /delete its VolumeSnapshots first/,
  );
  await expectPattern(pool, ownerOf(vol), 0x77, 4 * MiB);
  expect(await pool.listSnapshots(ownerOf(vol))).toHaveLength(1);

  // Once the snapshot is gone, a new operation runs; the failed ones stay as they ended.
  const del = await cluster.kubectl([
    'delete',
    '-n',
    ns,
    'volumesnapshots.evs.kcloud.io',
    n('snap'),
  ]);
  expect(del.code).toBe(0);
  await apply(evsApi, 'VolumeOperation', n('to-a'), {
    volumeRef: { name: volName },
    reimage: { imageRef: { name: n('a') } },
  });
  await waitReady(getOp(n('to-a')), 'True');
  await expectPattern(pool, ownerOf(vol), 0xab);
  await expectPattern(pool, ownerOf(vol), 0x00, 4 * MiB);
  for (const [name, before] of [
    [n('with-snap'), withSnap],
    [n('to-big'), tooBig],
  ] as const) {
    const after = await getOp(name)();
    expect(after.status?.phase).toBe('Failed');
    expect(after.status?.completionTime).toBe(before.status?.completionTime);
  }
  await waitFor(
    async () =>
      (await volumes.get(ns, volName)).status?.image?.uid === imgA?.metadata.uid ? true : undefined,
    { timeoutMs: 60_000, what: `Volume ${volName} made from image A again` },
  );

  // A missing image is waited for, saying which.
  await apply(evsApi, 'VolumeOperation', n('to-nothing'), {
    volumeRef: { name: volName },
    reimage: { imageRef: { name: n('nothing') } },
  });
  const missing = await waitReady(getOp(n('to-nothing')), 'False', 'ImageNotFound');
  expect(missing.status?.phase).toBe('Pending');
}
