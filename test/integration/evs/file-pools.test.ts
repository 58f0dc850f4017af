// EVS on file pools, end to end on the real API server: the manager places, two real agents
// (one per host) make the data with real qemu-img, and the data is checked with qemu-io.
// Images import from a local HTTP server (a wrong checksum or a lying format is refused and
// leaves nothing); volumes are made blank, from an image (on the image's host, a Local pool),
// from a snapshot and as a clone; they grow, revert to a snapshot and are reimaged from another
// image through a VolumeOperation (reimage-scenario.ts), refuse bad input with a reason, and are deleted with Retain and Delete.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../../controllers/index.ts';
import { Image, type ImageObject } from '../../../operators/ecs/index.ts';
import {
  StoragePool,
  type StoragePoolObject,
  Volume,
  VolumeAttachment,
  VolumeOperation,
  VolumeSnapshot,
  type VolumeAttachmentObject,
  type VolumeObject,
  type VolumeOperationObject,
  type VolumeSnapshotObject,
} from '../../../operators/evs/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import {
  expectPattern,
  makeImages,
  MiB,
  qemuImg,
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
  ready,
  startEvsWorld,
  waitReady,
  type EvsWorld,
} from './evs-fixture.ts';
import { reimageScenario } from './reimage-scenario.ts';

const cluster = useTestCluster('evs-file');
const GiB = 1024 ** 3;
let world: EvsWorld;
let files: ImageFiles;
let server: Awaited<ReturnType<typeof serveDir>>;
let localPool = '';
let sharedPool = '';
let localType = '';
let sharedType = '';

const volumes = () => clientFor<VolumeObject>(world, Volume.resource);
const snapshots = () => clientFor<VolumeSnapshotObject>(world, VolumeSnapshot.resource);
const images = () => clientFor<ImageObject>(world, Image.resource);
const operations = () => clientFor<VolumeOperationObject>(world, VolumeOperation.resource);

const getVolume = (name: string) => () => volumes().get(cluster.namespace, name);
const getImage = (name: string) => () => images().get(cluster.namespace, name);
const getSnapshot = (name: string) => () => snapshots().get(cluster.namespace, name);
const getOperation = (name: string) => () => operations().get(cluster.namespace, name);
const attachments = () => clientFor<VolumeAttachmentObject>(world, VolumeAttachment.resource);
const getAttachment = (name: string) => () => attachments().get(cluster.namespace, name);
const attach = (name: string, volume: string, instance: string, host: string) =>
  applyEvs('VolumeAttachment', name, {
    volumeRef: { name: volume },
    instanceRef: { name: instance },
    host,
  });

/**
 * Serves one file over HTTP on 127.0.0.1 at `bytesPerSecond`, counting the requests: an
 * import that is still running when its agent is killed.
 */
async function serveSlowly(
  file: string,
  bytesPerSecond: number,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const data = await readFile(file);
  let count = 0;
  const server = createServer((_req, res) => {
    count += 1;
    res.writeHead(200, { 'content-length': data.length });
    let sent = 0;
    const chunk = Math.max(1, Math.floor(bytesPerSecond / 10));
    const timer = setInterval(() => {
      if (sent >= data.length || res.destroyed) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(data.subarray(sent, sent + chunk));
      sent += chunk;
    }, 100);
    res.on('close', () => {
      clearInterval(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/${path.basename(file)}`,
    requests: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** The host an object was placed on. */
const hostOf = (o: KubeObject) => o.metadata.labels?.['ecs.kcloud.io/host'] ?? '';

/** `kubectl delete` in the test namespace; a failure fails the test. */
async function kubectlDelete(resource: string, name: string, ...flags: string[]): Promise<void> {
  const r = await cluster.kubectl(['delete', '-n', cluster.namespace, resource, name, ...flags]);
  if (r.code !== 0) throw new Error(`kubectl delete ${resource} ${name}: ${r.stderr}`);
}

async function applyEvs(kind: string, name: string, spec: object): Promise<void> {
  await cluster.apply(doc(evsApi, kind, name, spec));
}

beforeAll(async () => {
  await requireTools(['qemu-img', 'qemu-io']);
  world = await startEvsWorld(cluster);
  await mkdir(path.join(world.work, 'images'), { recursive: true });
  files = await makeImages(path.join(world.work, 'images'));
  server = await serveDir(path.join(world.work, 'images'));
  localPool = `${cluster.namespace}-local`;
  sharedPool = `${cluster.namespace}-shared`;
  localType = `${cluster.namespace}-normal`;
  sharedType = `${cluster.namespace}-shared`;
  await applyEvs('StoragePool', localPool, {
    type: 'File',
    file: { path: '/pools/local', scope: 'Local' },
  });
  await applyEvs('StoragePool', sharedPool, {
    type: 'File',
    file: { path: '/shared/pool', scope: 'Shared' },
  });
  await mkdir(path.join(world.work, 'shared-fs', 'pool'), { recursive: true });
  await applyEvs('VolumeType', localType, {
    storagePoolRef: { name: localPool },
    qos: { iops: { base: 500, perGiB: 50, max: 3000 } },
    default: true,
  });
  await applyEvs('VolumeType', sharedType, { storagePoolRef: { name: sharedPool } });
});

afterAll(async () => {
  await server.close();
  try {
    await world.deleteAll([
      `volumetypes.evs.kcloud.io/${localType}`,
      `volumetypes.evs.kcloud.io/${sharedType}`,
      `storagepools.evs.kcloud.io/${localPool}`,
      `storagepools.evs.kcloud.io/${sharedPool}`,
    ]);
  } finally {
    await world.stop();
  }
});

describe('pools and types', () => {
  it('count the hosts that reach each pool and sum a Local pool’s room', async () => {
    const pools = clientFor<StoragePoolObject>(world, StoragePool.resource);
    for (const name of [localPool, sharedPool]) {
      await waitReady(() => pools.get(undefined, name), 'True');
      // Ready with the first host's report; the second comes within its report interval.
      const pool = await waitFor(
        async () => {
          const p = await pools.get(undefined, name);
          return p.status?.reachableHosts === 2 ? p : undefined;
        },
        { timeoutMs: 30_000, what: `pool ${name} reached by both hosts` },
      );
      expect(pool.status?.reachableHosts).toBe(2);
    }
  });
});

describe('images', () => {
  it('imports a qcow2 image from a URL, checking its checksum and finding its format', async () => {
    await cluster.apply(
      doc(ecsApi, 'Image', 'debian', {
        source: { url: { url: server.url(files.qcow2), sha256: await sha256(files.qcow2) } },
        format: 'qcow2',
        storagePoolRef: { name: localPool },
      }),
    );
    const img = await waitReady(getImage('debian'), 'True');
    expect(img.status).toMatchObject({
      phase: 'Available',
      format: 'qcow2',
      virtualSizeBytes: 64 * MiB,
      sha256: await sha256(files.qcow2),
      storagePool: localPool,
    });
    expect(world.hosts).toContain(hostOf(img));
    const pool = world.filePool(hostOf(img), '/pools/local');
    expect(await pool.inspectImage(ownerOf(img))).toMatchObject({ virtualSizeBytes: 64 * MiB });
  });

  it('refuses a wrong checksum and a lying format, leaving nothing in the pool', async () => {
    await cluster.apply(
      doc(ecsApi, 'Image', 'badsum', {
        source: { url: { url: server.url(files.qcow2), sha256: '0'.repeat(64) } },
        storagePoolRef: { name: localPool },
      }),
    );
    await cluster.apply(
      doc(ecsApi, 'Image', 'liar', {
        source: { url: { url: server.url(files.raw), sha256: await sha256(files.raw) } },
        format: 'qcow2',
        storagePoolRef: { name: localPool },
      }),
    );
    const bad = await waitReady(getImage('badsum'), 'False', 'ChecksumMismatch');
    expect(bad.status?.phase).toBe('Error');
    const liar = await waitReady(getImage('liar'), 'False', 'FormatMismatch');
    expect(liar.status?.phase).toBe('Error');
    for (const img of [bad, liar]) {
      const pool = world.filePool(hostOf(img), '/pools/local');
      const uid = img.metadata.uid ?? '';
      expect((await pool.listObjects()).filter((o) => o.owner.uid === uid)).toEqual([]);
      expect((await pool.listPartials()).filter((p) => p.uid === uid)).toEqual([]);
    }
  });
});

describe('images from a file on a host', () => {
  it('imports a file under the import directories, on that host, and refuses one outside', async () => {
    const host = world.hosts[1] ?? '';
    await copyFile(files.raw, path.join(world.roots[host] ?? '', 'import', 'disk.raw'));
    await cluster.apply(
      doc(ecsApi, 'Image', 'fromfile', {
        source: { hostFile: { host, path: '/import/disk.raw', sha256: await sha256(files.raw) } },
        storagePoolRef: { name: localPool },
      }),
    );
    const img = await waitReady(getImage('fromfile'), 'True');
    expect(hostOf(img)).toBe(host);
    expect(img.status).toMatchObject({ format: 'raw', virtualSizeBytes: 32 * MiB });
    await cluster.apply(
      doc(ecsApi, 'Image', 'outside', {
        source: { hostFile: { host, path: '/etc/passwd' } },
        storagePoolRef: { name: localPool },
      }),
    );
    await waitReady(getImage('outside'), 'False', 'PathNotAllowed');
  });
});

describe('volumes', () => {
  it('makes a blank volume of the default type with its limits', async () => {
    await applyEvs('Volume', 'blank', { size: '1Gi' });
    const v = await waitReady(getVolume('blank'), 'True');
    expect(v.status).toMatchObject({
      phase: 'Available',
      sizeBytes: GiB,
      storagePool: localPool,
      qos: { iops: 550 },
    });
    expect(v.status?.host).toBe(hostOf(v));
    const info = await world.filePool(hostOf(v), '/pools/local').inspectVolume(ownerOf(v));
    expect(info?.virtualSizeBytes).toBe(GiB);
  });

  it('clones an image on the image’s host, with the image’s data', async () => {
    await applyEvs('Volume', 'boot', { size: '2Gi', source: { image: { name: 'debian' } } });
    const v = await waitReady(getVolume('boot'), 'True');
    const img = await getImage('debian')();
    expect(hostOf(v)).toBe(hostOf(img));
    const pool = world.filePool(hostOf(v), '/pools/local');
    expect((await pool.inspectVolume(ownerOf(v)))?.parent).toEqual({
      kind: 'Image',
      uid: img.metadata.uid,
    });
    await expectPattern(pool, ownerOf(v), 0xab);
  });

  it('grows a volume when its size is raised', async () => {
    await applyEvs('Volume', 'boot', { size: '3Gi', source: { image: { name: 'debian' } } });
    const v = await waitFor(
      async () => {
        const got = await getVolume('boot')();
        return got.status?.sizeBytes === 3 * GiB && ready(got)?.status === 'True' ? got : undefined;
      },
      { timeoutMs: 60_000, what: 'volume boot grown to 3Gi' },
    );
    const info = await world.filePool(hostOf(v), '/pools/local').inspectVolume(ownerOf(v));
    expect(info?.virtualSizeBytes).toBe(3 * GiB);
    await expectPattern(world.filePool(hostOf(v), '/pools/local'), ownerOf(v), 0xab);
  });

  it('snapshots, makes a volume from the snapshot, and reverts through an operation', async () => {
    const boot = await getVolume('boot')();
    const pool = world.filePool(hostOf(boot), '/pools/local');
    await writePattern(pool, ownerOf(boot), 0x11, 8 * MiB);
    await applyEvs('VolumeSnapshot', 'snap1', { volumeRef: { name: 'boot' } });
    const snap = await waitReady(getSnapshot('snap1'), 'True');
    expect(snap.status).toMatchObject({ readyToUse: true, sizeBytes: 3 * GiB });
    expect(snap.status?.volumeUID).toBe(boot.metadata.uid);

    // Changes after the snapshot.
    await writePattern(pool, ownerOf(boot), 0x22, 8 * MiB);

    await applyEvs('Volume', 'restored', { size: '3Gi', source: { snapshot: { name: 'snap1' } } });
    const restored = await waitReady(getVolume('restored'), 'True');
    expect(hostOf(restored)).toBe(hostOf(boot));
    await expectPattern(pool, ownerOf(restored), 0x11, 8 * MiB);
    await expectPattern(pool, ownerOf(restored), 0xab);

    await applyEvs('VolumeOperation', 'back', {
      volumeRef: { name: 'boot' },
      revert: { snapshotRef: { name: 'snap1' } },
    });
    const op = await waitReady(getOperation('back'), 'True');
    expect(op.status?.phase).toBe('Succeeded');
    expect(op.status?.completionTime).toBeDefined();
    await expectPattern(pool, ownerOf(boot), 0x11, 8 * MiB);

    // Applying the operation again does nothing: written after the revert, the data stays.
    await writePattern(pool, ownerOf(boot), 0x33, 8 * MiB);
    await applyEvs('VolumeOperation', 'back', {
      volumeRef: { name: 'boot' },
      revert: { snapshotRef: { name: 'snap1' } },
    });
    const again = await getOperation('back')();
    expect(again.status?.completionTime).toBe(op.status?.completionTime);
    await expectPattern(pool, ownerOf(boot), 0x33, 8 * MiB);
  });

  it('reimages a volume from another image through an operation', async () => {
    await reimageScenario({
      cluster,
      world,
      // Shared: every host has the images (a Local pool's are on one host's disk each).
      pool: sharedPool,
      volumeType: sharedType,
      view: (host) => world.filePool(host, '/shared/pool'),
      imagesDir: path.join(world.work, 'images'),
      url: (file) => server.url(file),
      prefix: 're',
    });
  });

  it('clones a volume as it is now', async () => {
    await applyEvs('Volume', 'copy', { size: '3Gi', source: { volume: { name: 'boot' } } });
    const copy = await waitReady(getVolume('copy'), 'True');
    const pool = world.filePool(hostOf(copy), '/pools/local');
    await expectPattern(pool, ownerOf(copy), 0x33, 8 * MiB);
  });

  it('makes volumes in a Shared pool on any host', async () => {
    await applyEvs('Volume', 'sh', { size: '1Gi', volumeTypeRef: { name: sharedType } });
    const v = await waitReady(getVolume('sh'), 'True');
    expect(v.status?.storagePool).toBe(sharedPool);
    // Every host sees the same data.
    for (const h of world.hosts) {
      expect(
        (await world.filePool(h, '/shared/pool').inspectVolume(ownerOf(v)))?.virtualSizeBytes,
      ).toBe(GiB);
    }
  });
});

describe('bad input', () => {
  it('says why with a reason, and makes nothing', async () => {
    await applyEvs('Volume', 'notype', { size: '1Gi', volumeTypeRef: { name: 'no-such-type' } });
    await waitReady(getVolume('notype'), 'False', 'VolumeTypeNotFound');
    await applyEvs('Volume', 'small', { size: '1Gi', source: { image: { name: 'debian' } } });
    // 64 MiB fit in 1 GiB: this one is fine; a source larger than the volume is refused:
    await applyEvs('Volume', 'big-src', { size: '1Gi', source: { volume: { name: 'boot' } } });
    const big = await waitReady(getVolume('big-src'), 'False', 'SourceLargerThanVolume');
    expect(big.status?.phase).toBe('Error');
    await applyEvs('Volume', 'nosrc', { size: '1Gi', source: { snapshot: { name: 'missing' } } });
    // A missing source may still come (GitOps applies in any order): waited for, not failed.
    const nosrc = await waitReady(getVolume('nosrc'), 'False', 'VolumeSnapshotNotFound');
    expect(nosrc.status?.phase).toBe('Pending');
    expect(nosrc.status?.conditions?.find((c) => c.type === 'Stalled')?.status).not.toBe('True');
    for (const name of ['notype', 'big-src', 'nosrc']) {
      const v = await getVolume(name)();
      expect(hostOf(v)).toBe('');
      for (const h of world.hosts) {
        const objects = await world.filePool(h, '/pools/local').listObjects();
        expect(objects.filter((o) => o.owner.uid === v.metadata.uid)).toEqual([]);
      }
    }
    await waitReady(getVolume('small'), 'True');
  });
});

describe('attachments', () => {
  it('attaches a volume to one instance on its host, says how QEMU opens it, and holds its deletion', async () => {
    await applyEvs('Volume', 'att', { size: '1Gi' });
    const v = await waitReady(getVolume('att'), 'True');
    const host = hostOf(v);
    const other = world.hosts.find((h) => h !== host) ?? '';
    const pool = world.filePool(host, '/pools/local');
    await writePattern(pool, ownerOf(v), 0x3c);
    await attach('att-vm1', 'att', 'vm1', host);
    const a = await waitReady(getAttachment('att-vm1'), 'True');
    expect(a.status?.phase).toBe('Attached');
    expect(a.status?.storagePool).toBe(localPool);
    // The target is the volume itself: QEMU opening it reads the volume's data.
    const target = a.status?.target?.file;
    expect(target?.format).toBe('qcow2');
    await qemuIo(
      `json:${JSON.stringify({ driver: 'qcow2', file: { driver: 'file', filename: target?.path } })}`,
      'read -P 0x3c 0 1M',
    );
    const used = await waitFor(
      async () => {
        const got = await getVolume('att')();
        return got.status?.phase === 'InUse' ? got : undefined;
      },
      { timeoutMs: 30_000, what: 'Volume att InUse' },
    );
    expect(used.status?.attachments).toEqual([{ instance: 'vm1', host }]);

    // One instance at a time: a second one waits; a Local volume is refused on another host.
    await attach('att-vm2', 'att', 'vm2', host);
    const second = await waitReady(getAttachment('att-vm2'), 'False', 'VolumeAttachedElsewhere');
    expect(second.status?.phase).toBe('Pending');
    expect(hostOf(second)).toBe('');
    await attach('att-far', 'att', 'vm3', other);
    const far = await waitReady(getAttachment('att-far'), 'False', 'VolumeOnOtherHost');
    expect(far.status?.phase).toBe('Error');

    // Detached from vm1, the volume goes to the instance that waited.
    await kubectlDelete('volumeattachments.evs.kcloud.io', 'att-vm1');
    await kubectlDelete('volumeattachments.evs.kcloud.io', 'att-far');
    await waitReady(getAttachment('att-vm2'), 'True');
    await waitFor(
      async () => {
        const got = await getVolume('att')();
        return got.status?.attachments?.[0]?.instance === 'vm2' ? got : undefined;
      },
      { timeoutMs: 30_000, what: 'Volume att attached to vm2 only' },
    );

    // Deleting an attached volume waits, and loses nothing; nothing new attaches it meanwhile.
    await kubectlDelete('volumes.evs.kcloud.io', 'att', '--wait=false');
    await waitReady(getVolume('att'), 'False', 'InUse');
    expect(await pool.inspectVolume(ownerOf(v))).toBeDefined();
    await attach('att-late', 'att', 'vm4', host);
    await waitReady(getAttachment('att-late'), 'False', 'VolumeDeleting');
    await kubectlDelete('volumeattachments.evs.kcloud.io', 'att-late');
    await kubectlDelete('volumeattachments.evs.kcloud.io', 'att-vm2');
    await cluster.waitForGone({ kind: 'Volume', apiVersion: evsApi, name: 'att' }, 60_000);
    expect(await pool.inspectVolume(ownerOf(v))).toBeUndefined();
  });

  it('attaches a Shared pool’s volume on a host that did not make it, and leaves growth to the instance', async () => {
    const v = await waitReady(getVolume('sh'), 'True');
    const other = world.hosts.find((h) => h !== hostOf(v)) ?? '';
    await attach('sh-vm', 'sh', 'vm-sh', other);
    const a = await waitReady(getAttachment('sh-vm'), 'True');
    expect(hostOf(a)).toBe(other);
    // The path as that host sees the shared filesystem: the data the other host wrote.
    await writePattern(world.filePool(hostOf(v), '/shared/pool'), ownerOf(v), 0x4d);
    await qemuIo(
      `json:${JSON.stringify({ driver: 'qcow2', file: { driver: 'file', filename: a.status?.target?.file?.path } })}`,
      'read -P 0x4d 0 1M',
    );
    // Growing an attached volume is its running instance's (block_resize): EVS waits.
    const before = (await getVolume('sh')()).status?.sizeBytes;
    await applyEvs('Volume', 'sh', { size: '2Gi', volumeTypeRef: { name: sharedType } });
    await waitReady(getVolume('sh'), 'False', 'WaitingForInstance');
    expect((await getVolume('sh')()).status?.sizeBytes).toBe(before);
    // Detached, EVS grows it itself.
    await kubectlDelete('volumeattachments.evs.kcloud.io', 'sh-vm');
    const grown = await waitFor(
      async () => {
        const got = await getVolume('sh')();
        return got.status?.sizeBytes === 2 * GiB && ready(got)?.status === 'True' ? got : undefined;
      },
      { timeoutMs: 60_000, what: 'Volume sh grown to 2Gi once detached' },
    );
    expect(grown.status?.phase).toBe('Available');
  });
});

describe('deletion', () => {
  it('holds a volume that has snapshots, then deletes it with Delete', async () => {
    const boot = await getVolume('boot')();
    const pool = world.filePool(hostOf(boot), '/pools/local');
    await kubectlDelete('volumes.evs.kcloud.io', 'boot', '--wait=false');
    await waitReady(getVolume('boot'), 'False', 'HasSnapshots');
    expect(await pool.inspectVolume(ownerOf(boot))).toBeDefined();
    // Deleting the snapshot keeps the volume made from it intact.
    await kubectlDelete('volumesnapshots.evs.kcloud.io', 'snap1');
    await cluster.waitForGone({ kind: 'Volume', apiVersion: evsApi, name: 'boot' }, 60_000);
    expect(await pool.inspectVolume(ownerOf(boot))).toBeUndefined();
    const restored = await getVolume('restored')();
    await expectPattern(pool, ownerOf(restored), 0x11, 8 * MiB);
  });

  it('keeps the data of a Retain volume after the object is gone', async () => {
    await applyEvs('Volume', 'keep', { size: '1Gi', deletionPolicy: 'Retain' });
    const v = await waitReady(getVolume('keep'), 'True');
    await kubectlDelete('volumes.evs.kcloud.io', 'keep');
    const info = await world.filePool(hostOf(v), '/pools/local').inspectVolume(ownerOf(v));
    expect(info?.virtualSizeBytes).toBe(GiB);
  });
});

describe('crashes and races', () => {
  it('converges after the agent is killed in the middle of an import: one image, no partial', async () => {
    // A server that sends slowly, so the import is still running when the agent dies.
    const big = path.join(world.work, 'images', 'slow.raw');
    await qemuImg(['create', '-q', '-f', 'raw', big, '8M']);
    const slow = await serveSlowly(big, 512 * 1024);
    try {
      await cluster.apply(
        doc(ecsApi, 'Image', 'slow', {
          source: { url: { url: slow.url, sha256: await sha256(big) } },
          storagePoolRef: { name: localPool },
        }),
      );
      const placed = await waitFor(
        async () => {
          const img = await getImage('slow')().catch(() => undefined);
          const host = img ? hostOf(img) : '';
          if (!img || host === '') return undefined;
          const partials = await world.filePool(host, '/pools/local').listPartials();
          return partials.some((p) => p.uid === img.metadata.uid) ? { img, host } : undefined;
        },
        { timeoutMs: 60_000, what: 'the slow import to have started' },
      );
      await world.agents[placed.host]?.stop('SIGKILL');
      await world.startAgent(placed.host);
      const img = await waitReady(getImage('slow'), 'True');
      const pool = world.filePool(placed.host, '/pools/local');
      const uid = img.metadata.uid ?? '';
      expect((await pool.listObjects()).filter((o) => o.owner.uid === uid)).toHaveLength(1);
      expect((await pool.listPartials()).filter((p) => p.uid === uid)).toEqual([]);
      expect(slow.requests()).toBeGreaterThanOrEqual(2);
    } finally {
      await slow.close();
    }
  });

  it('leaves a consistent state when a snapshot and the deletion of its volume race', async () => {
    await applyEvs('Volume', 'race', { size: '1Gi' });
    const vol = await waitReady(getVolume('race'), 'True');
    const pool = world.filePool(hostOf(vol), '/pools/local');
    await Promise.all([
      applyEvs('VolumeSnapshot', 'race-snap', { volumeRef: { name: 'race' } }),
      kubectlDelete('volumes.evs.kcloud.io', 'race', '--wait=false'),
    ]);
    // Either the snapshot was taken and holds the volume, or the volume went first and the
    // snapshot says so; never a snapshot without its volume's data, never a lost volume.
    const outcome = await waitFor(
      async () => {
        const snap = await getSnapshot('race-snap')().catch(() => undefined);
        const v = await getVolume('race')().catch(() => undefined);
        if (snap?.status?.readyToUse && v) return 'snapshot first';
        const r = ready(snap);
        if (!v && r?.status === 'False' && r.reason === 'VolumeNotFound') return 'volume first';
        return undefined;
      },
      { timeoutMs: 60_000, what: 'the race to settle' },
    );
    if (outcome === 'snapshot first') {
      expect(await pool.inspectVolume(ownerOf(vol))).toBeDefined();
      await waitReady(getVolume('race'), 'False', 'HasSnapshots');
      await kubectlDelete('volumesnapshots.evs.kcloud.io', 'race-snap');
      await cluster.waitForGone({ kind: 'Volume', apiVersion: evsApi, name: 'race' }, 60_000);
    } else {
      await kubectlDelete('volumesnapshots.evs.kcloud.io', 'race-snap');
    }
    expect(await pool.inspectVolume(ownerOf(vol))).toBeUndefined();
    expect((await pool.listObjects()).filter((o) => o.volumeUid === vol.metadata.uid)).toEqual([]);
  });

  it('moves aside, never deletes, the data of a Volume force-deleted while its host was down', async () => {
    await applyEvs('Volume', 'forced', { size: '1Gi' });
    const v = await waitReady(getVolume('forced'), 'True');
    const host = hostOf(v);
    const pool = world.filePool(host, '/pools/local');
    await world.agents[host]?.stop('SIGKILL');
    // Deleted, and its finalizers removed by hand: nothing was left to remove the data.
    await kubectlDelete('volumes.evs.kcloud.io', 'forced', '--wait=false');
    const patch = await cluster.kubectl([
      'patch',
      '-n',
      cluster.namespace,
      'volumes.evs.kcloud.io',
      'forced',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    expect(patch.code).toBe(0);
    await cluster.waitForGone({ kind: 'Volume', apiVersion: evsApi, name: 'forced' }, 60_000);
    expect(await pool.inspectVolume(ownerOf(v))).toBeDefined();
    await world.startAgent(host);
    const kept = await waitFor(
      async () => {
        const objects = await pool.listObjects();
        return objects.find((o) => o.owner.uid === v.metadata.uid && o.state === 'quarantined');
      },
      { timeoutMs: 60_000, what: 'the orphaned volume to be quarantined' },
    );
    expect(kept.kind).toBe('Volume');
    expect(await pool.inspectVolume(ownerOf(v))).toBeUndefined();
  });

  it('moves aside the data of a Shared pool’s force-deleted Volume from another host', async () => {
    await applyEvs('Volume', 'forced-shared', { size: '1Gi', volumeTypeRef: { name: sharedType } });
    const v = await waitReady(getVolume('forced-shared'), 'True');
    const holder = hostOf(v);
    const other = world.hosts.find((h) => h !== holder) ?? '';
    // The same files seen from the host that did not make them.
    const pool = world.filePool(other, '/shared/pool');
    expect(await pool.inspectVolume(ownerOf(v))).toBeDefined();
    await world.agents[holder]?.stop('SIGKILL');
    await kubectlDelete('volumes.evs.kcloud.io', 'forced-shared', '--wait=false');
    const patch = await cluster.kubectl([
      'patch',
      '-n',
      cluster.namespace,
      'volumes.evs.kcloud.io',
      'forced-shared',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    expect(patch.code).toBe(0);
    await cluster.waitForGone(
      { kind: 'Volume', apiVersion: evsApi, name: 'forced-shared' },
      60_000,
    );
    // Only the other host is Ready now, so it sweeps the pool; the owner was never bound to it,
    // so it is judged from the API server, not from that host's caches.
    try {
      const kept = await waitFor(
        async () =>
          (await pool.listObjects()).find(
            (o) => o.owner.uid === v.metadata.uid && o.state === 'quarantined',
          ),
        {
          timeoutMs: 60_000,
          what: 'the orphaned Shared volume to be quarantined by the other host',
        },
      );
      expect(kept.kind).toBe('Volume');
      expect(await pool.inspectVolume(ownerOf(v))).toBeUndefined();
    } finally {
      await world.startAgent(holder);
    }
    // Data of live owners in the same pool is left alone.
    const sh = await getVolume('sh')();
    expect(await pool.inspectVolume(ownerOf(sh))).toBeDefined();
  });

  it('shows a Local volume Unknown while its host is lost, and Available when it is back', async () => {
    const v = await waitReady(getVolume('blank'), 'True');
    const host = hostOf(v);
    await world.agents[host]?.stop('SIGKILL');
    const lost = await waitReady(getVolume('blank'), 'Unknown', 'HostUnreachable');
    expect(lost.status?.phase).toBe('Unknown');
    // A Local pool's data cannot move: the volume stays on its host.
    expect(hostOf(lost)).toBe(host);
    await world.startAgent(host);
    const back = await waitReady(getVolume('blank'), 'True');
    expect(back.status?.phase).toBe('Available');
  });
});
