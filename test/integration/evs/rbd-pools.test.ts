// EVS on an RBD pool of the run's real Ceph, end to end: the agent reads the pool's cephx key
// from a Secret in its hosts namespace, reports the pool, imports an image as an RBD image
// (converted to raw), clones a boot volume from it as a layered clone, snapshots it, makes a
// volume from the snapshot, grows, reimages a volume from another image (reimage-scenario.ts)
// and deletes; the data is checked with qemu-io through QEMU's rbd driver.
import { execFile, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Image, type ImageObject } from '../../../operators/ecs/index.ts';
import { RbdPool } from '../../../operators/evs/backend/index.ts';
import {
  StoragePool,
  Volume,
  VolumeAttachment,
  VolumeSnapshot,
  type StoragePoolObject,
  type VolumeAttachmentObject,
  type VolumeObject,
  type VolumeSnapshotObject,
} from '../../../operators/evs/index.ts';
import { ceph as cephTool } from '../../../hack/ceph/index.ts';
import { CephFixture } from '../../harness/ceph.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import {
  expectPattern,
  makeImages,
  MiB,
  qemuIo,
  requireTools,
  serveDir,
  sha256,
  writePattern,
  type ImageFiles,
} from './backend/pool-fixtures.ts';
import {
  clientFor,
  doc,
  ecsApi,
  evsApi,
  ownerOf,
  startEvsWorld,
  waitReady,
  type EvsWorld,
} from './evs-fixture.ts';
import { reimageScenario } from './reimage-scenario.ts';

const cluster = useTestCluster('evs-rbd');
const run = promisify(execFile);
const rbdCli = async (args: string[]) => (await run('rbd', args)).stdout;
const ceph = new CephFixture('evsrbd');
const GiB = 1024 ** 3;
let world: EvsWorld;
let files: ImageFiles;
let server: Awaited<ReturnType<typeof serveDir>>;
let poolName = '';
let typeName = '';
let cephPool = '';
let backend: RbdPool;
let cephKey = '';
let userId = '';

const volumes = () => clientFor<VolumeObject>(world, Volume.resource);
const getVolume = (name: string) => () => volumes().get(cluster.namespace, name);

beforeAll(async () => {
  await requireTools(['qemu-img', 'qemu-io', 'rbd']);
  world = await startEvsWorld(cluster, 1);
  await mkdir(path.join(world.work, 'images'), { recursive: true });
  files = await makeImages(path.join(world.work, 'images'));
  server = await serveDir(path.join(world.work, 'images'));
  cephPool = await ceph.pool();
  const user = await ceph.user(cephPool);
  cephKey = user.key;
  userId = user.id;
  const info = await ceph.info();
  // `[v2:127.0.0.1:P2,v1:127.0.0.1:P1]`: the msgr v1 address, as host:port.
  const v1 = /v1:([0-9.]+:[0-9]+)/.exec(info.monHost)?.[1];
  if (!v1) throw new Error(`no v1 monitor address in ${info.monHost}`);
  const secret = `${cluster.namespace}-ceph`;
  await cluster.apply(
    `apiVersion: v1\nkind: Secret\nmetadata: {name: ${secret}, namespace: ${world.hostsNs}}\n` +
      `data: {key: ${Buffer.from(user.key).toString('base64')}}\n`,
  );
  poolName = `${cluster.namespace}-rbd`;
  typeName = `${cluster.namespace}-rbd`;
  const rbd = {
    monitors: [v1],
    pool: cephPool,
    user: user.id,
    secretRef: { name: secret, namespace: world.hostsNs },
  };
  await cluster.apply(doc(evsApi, 'StoragePool', poolName, { type: 'RBD', rbd }));
  await cluster.apply(doc(evsApi, 'VolumeType', typeName, { storagePoolRef: { name: poolName } }));
  // The test's own view of the pool, as the same restricted user, to look at the data.
  backend = new RbdPool({
    pool: cephPool,
    user: user.id,
    monitors: [v1],
    keyring: user.keyringPath,
    runDir: path.join(world.work, 'rbd-view'),
  });
});

afterAll(async () => {
  await server.close();
  try {
    await world.deleteAll([
      `volumetypes.evs.kcloud.io/${typeName}`,
      `storagepools.evs.kcloud.io/${poolName}`,
    ]);
  } finally {
    await world.stop();
  }
  await ceph.cleanup();
});

describe('an RBD pool', () => {
  it('is reached by the host with the key from its Secret', async () => {
    const pools = clientFor<StoragePoolObject>(world, StoragePool.resource);
    const pool = await waitReady(() => pools.get(undefined, poolName), 'True');
    expect(pool.status?.reachableHosts).toBe(1);
    expect(pool.status?.capacityBytes).toBeGreaterThan(0);
  });

  it('imports an image, clones a volume, snapshots, restores and grows', async () => {
    await cluster.apply(
      doc(ecsApi, 'Image', 'img', {
        source: { url: { url: server.url(files.qcow2), sha256: await sha256(files.qcow2) } },
        storagePoolRef: { name: poolName },
      }),
    );
    const images = clientFor<ImageObject>(world, Image.resource);
    const img = await waitReady(() => images.get(cluster.namespace, 'img'), 'True');
    expect(img.status).toMatchObject({ format: 'qcow2', virtualSizeBytes: 64 * MiB });
    expect((await backend.inspectImage(ownerOf(img)))?.virtualSizeBytes).toBe(64 * MiB);

    await cluster.apply(
      doc(evsApi, 'Volume', 'boot', {
        size: '1Gi',
        volumeTypeRef: { name: typeName },
        source: { image: { name: 'img' } },
      }),
    );
    const boot = await waitReady(getVolume('boot'), 'True');
    expect(boot.status).toMatchObject({ storagePool: poolName, sizeBytes: GiB });
    expect((await backend.inspectVolume(ownerOf(boot)))?.parent).toEqual({
      kind: 'Image',
      uid: img.metadata.uid,
    });
    await expectPattern(backend, ownerOf(boot), 0xab);

    await writePattern(backend, ownerOf(boot), 0x5a, 4 * MiB);
    await cluster.apply(doc(evsApi, 'VolumeSnapshot', 's1', { volumeRef: { name: 'boot' } }));
    const snaps = clientFor<VolumeSnapshotObject>(world, VolumeSnapshot.resource);
    await waitReady(() => snaps.get(cluster.namespace, 's1'), 'True');
    await writePattern(backend, ownerOf(boot), 0x66, 4 * MiB);
    await cluster.apply(
      doc(evsApi, 'Volume', 'from-snap', {
        size: '1Gi',
        volumeTypeRef: { name: typeName },
        source: { snapshot: { name: 's1' } },
      }),
    );
    const restored = await waitReady(getVolume('from-snap'), 'True');
    await expectPattern(backend, ownerOf(restored), 0x5a, 4 * MiB);

    await cluster.apply(
      doc(evsApi, 'Volume', 'boot', {
        size: '2Gi',
        volumeTypeRef: { name: typeName },
        source: { image: { name: 'img' } },
      }),
    );
    await waitFor(
      async () => ((await getVolume('boot')()).status?.sizeBytes === 2 * GiB ? true : undefined),
      { timeoutMs: 60_000, what: 'boot grown to 2Gi' },
    );
    expect((await backend.inspectVolume(ownerOf(boot)))?.virtualSizeBytes).toBe(2 * GiB);
  });

  it('reimages a volume from another image through an operation', async () => {
    await reimageScenario({
      cluster,
      world,
      pool: poolName,
      volumeType: typeName,
      view: () => backend,
      imagesDir: path.join(world.work, 'images'),
      url: (file) => server.url(file),
      prefix: 're',
    });
  });

  it('attaches a volume with a target QEMU opens through its rbd driver', async () => {
    const restored = await getVolume('from-snap')();
    await cluster.apply(
      doc(evsApi, 'VolumeAttachment', 'from-snap-vm', {
        volumeRef: { name: 'from-snap' },
        instanceRef: { name: 'vm' },
        host: world.hosts[0],
      }),
    );
    const attachments = clientFor<VolumeAttachmentObject>(world, VolumeAttachment.resource);
    const a = await waitReady(() => attachments.get(cluster.namespace, 'from-snap-vm'), 'True');
    const rbd = a.status?.target?.rbd;
    expect(rbd).toMatchObject({ pool: cephPool, user: expect.any(String) });
    // The key is in the host's configuration, never in status.
    expect(cephKey).not.toBe('');
    expect(JSON.stringify(a.status)).not.toContain(cephKey);
    await qemuIo(
      `json:${JSON.stringify({ driver: 'raw', file: { driver: 'rbd', ...rbd } })}`,
      `read -P 0x5a ${String(4 * MiB)} 1M`,
    );
    expect((await getVolume('from-snap')()).status?.attachments).toEqual([
      { instance: 'vm', host: world.hosts[0] },
    ]);
    const r = await cluster.kubectl([
      'delete',
      '-n',
      cluster.namespace,
      'volumeattachments.evs.kcloud.io',
      'from-snap-vm',
    ]);
    expect(r.code).toBe(0);
    await expectPattern(backend, ownerOf(restored), 0x5a, 4 * MiB);
  });

  it('cuts off a client still holding a volume before attaching it anew (a hypervisor of a fenced host)', async () => {
    const restored = await getVolume('from-snap')();
    const image = `${cephPool}/vol-${restored.metadata.uid ?? ''}`;
    // A client that kept the image open: what a QEMU on a lost host looks like to Ceph.
    const holder = spawn('rbd', ['--conf', backend.conf, '--id', userId, 'watch', image], {
      // It waits for a line on its input: kept open, it holds the image until killed.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let said = '';
    holder.stdout.on('data', (d: Buffer) => (said += d.toString()));
    holder.stderr.on('data', (d: Buffer) => (said += d.toString()));
    try {
      const watchers = async () =>
        (
          JSON.parse(
            await rbdCli([
              '--conf',
              backend.conf,
              '--id',
              userId,
              'status',
              image,
              '--format',
              'json',
            ]),
          ) as { watchers?: { address: string }[] }
        ).watchers ?? [];
      const [held] = await waitFor(
        async () => {
          const w = await watchers();
          return w.length > 0 ? w : undefined;
        },
        { timeoutMs: 30_000, what: `a watcher on ${image}`, describe: () => `rbd watch: ${said}` },
      );
      await cluster.apply(
        doc(evsApi, 'VolumeAttachment', 'from-snap-moved', {
          volumeRef: { name: 'from-snap' },
          instanceRef: { name: 'vm' },
          host: world.hosts[0],
        }),
      );
      const attachments = clientFor<VolumeAttachmentObject>(world, VolumeAttachment.resource);
      await waitReady(() => attachments.get(cluster.namespace, 'from-snap-moved'), 'True');
      // Cut off before the attachment was reported: Ceph lists the client as blocklisted.
      const listed = await cephTool(ceph.admin, ['osd', 'blocklist', 'ls']);
      expect(held?.address).toMatch(/^[0-9.]+:[0-9]+\/[0-9]+$/);
      expect(listed).toContain(held?.address ?? '-');
      await waitFor(
        async () =>
          (await cluster.eventsFor('from-snap-moved')).some((e) => e.reason === 'ClientsFenced'),
        { timeoutMs: 30_000, what: 'a ClientsFenced event on the attachment' },
      );
    } finally {
      holder.kill('SIGKILL');
    }
    const r = await cluster.kubectl([
      'delete',
      '-n',
      cluster.namespace,
      'volumeattachments.evs.kcloud.io',
      'from-snap-moved',
    ]);
    expect(r.code).toBe(0);
  });

  it('deletes a volume’s RBD image with the Volume, keeping volumes made from its snapshot', async () => {
    const restored = await getVolume('from-snap')();
    const boot = await getVolume('boot')();
    await cluster.kubectl([
      'delete',
      '-n',
      cluster.namespace,
      'volumesnapshots.evs.kcloud.io',
      's1',
    ]);
    const r = await cluster.kubectl([
      'delete',
      '-n',
      cluster.namespace,
      'volumes.evs.kcloud.io',
      'boot',
      '--timeout=120s',
    ]);
    expect(r.code).toBe(0);
    expect(await backend.inspectVolume(ownerOf(boot))).toBeUndefined();
    await expectPattern(backend, ownerOf(restored), 0x5a, 4 * MiB);
  });
});
