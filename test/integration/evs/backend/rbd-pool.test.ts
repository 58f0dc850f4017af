// RbdPool against the integration run's real Ceph (a pool and a restricted cephx user of its
// own) and QEMU's rbd driver: the shared backend behaviour (backend-behaviour.ts), then what is
// particular to RBD — layered clones flattened when their parent goes, crash and abort
// leftovers, credentials confined to one pool, volumes in use.
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rbd, type CephEnv } from '../../../../hack/ceph/index.ts';
import {
  RbdPool,
  type OwnerRef,
  type RbdPoolOptions,
} from '../../../../operators/evs/backend/index.ts';
import { useTestCeph } from '../../../harness/ceph.ts';
import { tempDir } from '../../../harness/index.ts';
import { describeBackendBehaviour, rejectsWith, type PoolUnderTest } from './backend-behaviour.ts';
import {
  expectPattern,
  makeImages,
  MiB,
  owner,
  qemuIo,
  requireTools,
  serveDir,
  volumeTarget,
  writePattern,
  type ImageFiles,
} from './pool-fixtures.ts';

const ceph = useTestCeph('evs-rbd');
let root: { dir: string; cleanup: () => Promise<void> };
let admin: CephEnv;
let poolName = '';
let options: RbdPoolOptions;
let pool: RbdPool;
let images: ImageFiles;
let server: Awaited<ReturnType<typeof serveDir>>;

/** What the pool holds for a UID, seen by client.admin: images, snapshots, staged files. */
async function names(uid: string): Promise<string[]> {
  const all = JSON.parse(await rbd(admin, ['ls', poolName, '--format', 'json'])) as string[];
  const found = all.filter((n) => n.includes(uid));
  for (const image of all.filter((n) => n.startsWith('vol-'))) {
    const snaps = JSON.parse(
      await rbd(admin, ['snap', 'ls', `${poolName}/${image}`, '--format', 'json']),
    ) as { name: string }[];
    found.push(...snaps.filter((s) => s.name.includes(uid)).map((s) => `${image}@${s.name}`));
  }
  const staged = await readdir(path.join(root.dir, 'rbd', 'staging')).catch(() => []);
  return [...found, ...staged.filter((f) => f.includes(uid))];
}

beforeAll(async () => {
  await requireTools(['qemu-img', 'qemu-io', 'prlimit', 'rbd']);
  root = await tempDir('rbd-pool');
  const sources = path.join(root.dir, 'sources');
  await mkdir(sources);
  images = await makeImages(sources);
  server = await serveDir(sources);
  const info = await ceph.info();
  admin = ceph.admin;
  poolName = await ceph.pool();
  const user = await ceph.user(poolName);
  options = {
    pool: poolName,
    user: user.id,
    monitors: [info.monHost],
    // The key as a StoragePool's Secret carries it; the pool writes its own keyring.
    key: user.key,
    runDir: path.join(root.dir, 'rbd'),
    importRoots: [sources],
  };
  pool = new RbdPool(options);
});

afterAll(async () => {
  await server.close();
  await root.cleanup();
});

describeBackendBehaviour((): PoolUnderTest => ({
  pool,
  images,
  url: (file) => server.url(file),
  namesWith: names,
}));

describe('RBD pool', () => {
  it('keeps the cephx key in a keyring only its own user can read', async () => {
    await pool.capacity();
    expect(
      (await stat(path.join(options.runDir, `${poolName}.${options.user}.keyring`))).mode & 0o077,
    ).toBe(0);
    expect(JSON.stringify(pool.blockdev(owner('v')))).not.toContain(options.key ?? '');
  });

  it('is PoolUnreachable with a wrong key, and in a pool its user may not use', async () => {
    const wrongKey = new RbdPool({
      ...options,
      key: 'AQBzvZxmAAAAABAAiaIQmXDZQ5SJQ1mYmxUvvQ==',
      runDir: path.join(root.dir, 'wrong-key'),
    });
    await rejectsWith(
      wrongKey.createVolume({ volume: owner('v'), sizeBytes: MiB }),
      'PoolUnreachable',
    );
    const other = await ceph.pool();
    const elsewhere = new RbdPool({
      ...options,
      pool: other,
      runDir: path.join(root.dir, 'other'),
    });
    const vol = owner('trespass');
    await rejectsWith(elsewhere.createVolume({ volume: vol, sizeBytes: MiB }), 'PoolUnreachable');
    expect(JSON.parse(await rbd(admin, ['ls', other, '--format', 'json']))).toEqual([]);
  });

  it('flattens the clones of a snapshot before deleting it', async () => {
    const vol = owner('parent');
    await pool.createVolume({ volume: vol, sizeBytes: 8 * MiB });
    await writePattern(pool, vol, 0x21);
    const snap = { ...owner('parent-snap'), volumeUid: vol.uid };
    await pool.createSnapshot(snap);
    const child = owner('layered');
    const made = await pool.createVolume({
      volume: child,
      sizeBytes: 8 * MiB,
      source: { kind: 'VolumeSnapshot', snapshot: snap },
    });
    expect(made.parent).toEqual({ kind: 'VolumeSnapshot', uid: snap.uid });
    await pool.deleteSnapshot(snap);
    expect((await pool.inspectVolume(child))?.parent).toBeUndefined();
    await expectPattern(pool, child, 0x21);
    await pool.deleteVolume(vol);
    await pool.deleteVolume(child);
  });

  it('flattens the clones of an image before deleting it', async () => {
    const img = owner('flattened');
    await pool.importImage({ image: img, source: { kind: 'File', path: images.qcow2 } });
    const vol = owner('flattened-user');
    expect(
      (
        await pool.createVolume({
          volume: vol,
          sizeBytes: 64 * MiB,
          source: { kind: 'Image', image: img },
        })
      ).parent,
    ).toEqual({ kind: 'Image', uid: img.uid });
    await pool.deleteImage(img);
    expect(await names(img.uid)).toEqual([]);
    expect((await pool.inspectVolume(vol))?.parent).toBeUndefined();
    await expectPattern(pool, vol, 0xab);
    await pool.deleteVolume(vol);
  });

  it('converges on one volume after a crash left a partial image and the agent restarted', async () => {
    const vol = owner('crashed');
    const crashedAt = new Date(Date.now() - 1000);
    const partial = `vol-${vol.uid}.partial-${crashedAt.getTime().toString(36)}-abcdef`;
    // What a kill half-way through a create leaves: half an image under a partial name.
    await rbd(admin, ['create', '--size', '4', `${poolName}/${partial}`]);
    expect((await pool.listPartials()).filter((p) => p.uid === vol.uid)).toEqual([
      { kind: 'Volume', uid: vol.uid, id: partial, startedAt: crashedAt },
    ]);
    // The restarted process's first create sweeps what the crashed one left.
    const restarted = new RbdPool(options);
    await restarted.createVolume({ volume: vol, sizeBytes: 8 * MiB });
    expect(await names(vol.uid)).toEqual([`vol-${vol.uid}`]);
    expect((await restarted.listObjects()).filter((o) => o.owner.uid === vol.uid)).toHaveLength(1);
    expect(await restarted.createVolume({ volume: vol, sizeBytes: 8 * MiB })).toMatchObject({
      owner: vol,
      virtualSizeBytes: 8 * MiB,
    });
    expect(await names(vol.uid)).toEqual([`vol-${vol.uid}`]);
    await restarted.deleteVolume(vol);
    expect(await names(vol.uid)).toEqual([]);
  });

  describe('a reimage cut off at each step', () => {
    let a: OwnerRef;
    let b: OwnerRef;
    const spec = (name: string) => `${poolName}/${name}`;
    /** A volume of image A with a mark, and what a reimage to B built before it was cut off. */
    async function cutOff(name: string) {
      const vol = owner(name);
      await pool.createVolume({
        volume: vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: a },
      });
      await writePattern(pool, vol, 0x99, 4 * MiB);
      const next = `vol-${vol.uid}.reimage`;
      await rbd(admin, ['clone', spec(`img-${b.uid}@base`), spec(next)]);
      await rbd(admin, ['resize', '--size', '64', spec(next)]);
      const record = { kind: 'Volume', ...vol, image: b };
      await rbd(admin, ['image-meta', 'set', spec(next), 'kcloud.owner', JSON.stringify(record)]);
      return { vol, next, volume: `vol-${vol.uid}`, replaced: `vol-${vol.uid}.replaced` };
    }

    beforeAll(async () => {
      a = owner('cut-a');
      b = owner('cut-b');
      await pool.importImage({ image: a, source: { kind: 'Url', url: server.url(images.qcow2) } });
      await pool.importImage({ image: b, source: { kind: 'Url', url: server.url(images.raw) } });
    });

    it('between the two renames (no volume): the restarted agent’s create finishes it', async () => {
      const c = await cutOff('between');
      await rbd(admin, ['rename', spec(c.volume), spec(c.replaced)]);
      const restarted = new RbdPool(options);
      expect(await restarted.inspectVolume(c.vol)).toBeUndefined();
      // The agent sees no volume and creates it from its source: the new data are taken instead.
      const made = await restarted.createVolume({
        volume: c.vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: a },
      });
      expect(made).toMatchObject({ image: b, parent: { kind: 'Image', uid: b.uid } });
      expect(await names(c.vol.uid)).toEqual([c.volume]);
      await expectPattern(restarted, c.vol, 0x00, 4 * MiB);
      await restarted.deleteVolume(c.vol);
      expect(await names(c.vol.uid)).toEqual([]);
    });

    it('between the two renames: deleting the volume deletes both', async () => {
      const c = await cutOff('deleted-between');
      await rbd(admin, ['rename', spec(c.volume), spec(c.replaced)]);
      await pool.deleteVolume(c.vol);
      expect(await names(c.vol.uid)).toEqual([]);
    });

    it('before the swap: the retried reimage ends with one fresh clone', async () => {
      const c = await cutOff('before-swap');
      expect(await pool.inspectVolume(c.vol)).toMatchObject({ image: a });
      await expectPattern(pool, c.vol, 0x99, 4 * MiB);
      expect(await pool.reimageVolume(c.vol, b)).toMatchObject({ image: b });
      expect(await names(c.vol.uid)).toEqual([c.volume]);
      await expectPattern(pool, c.vol, 0x00, 4 * MiB);
      await pool.deleteVolume(c.vol);
    });

    it('after the swap: the old data go at the restarted agent’s first create, never back', async () => {
      const c = await cutOff('after-swap');
      await rbd(admin, ['rename', spec(c.volume), spec(c.replaced)]);
      await rbd(admin, ['rename', spec(c.next), spec(c.volume)]);
      expect(await pool.inspectVolume(c.vol)).toMatchObject({ image: b });
      // Deleted before anything settled it: the old data stay aside until the sweep.
      await pool.deleteVolume(c.vol);
      expect(await names(c.vol.uid)).toEqual([c.replaced]);
      const restarted = new RbdPool(options);
      const other = owner('first-after-restart');
      await restarted.createVolume({ volume: other, sizeBytes: 8 * MiB });
      expect(await names(c.vol.uid)).toEqual([]);
      await restarted.deleteVolume(other);
    });
  });

  it('converges on one volume after a create aborted in the middle of a copy', async () => {
    const src = owner('big');
    await pool.createVolume({ volume: src, sizeBytes: 128 * MiB });
    await qemuIo(volumeTarget(pool, src), 'write -P 0x3c 0 128M');
    const copy = owner('aborted');
    const abort = new AbortController();
    const creating = pool.createVolume(
      { volume: copy, sizeBytes: 128 * MiB, source: { kind: 'Volume', volume: src } },
      abort.signal,
    );
    for (;;) {
      if ((await names(copy.uid)).some((n) => n.includes('.partial-'))) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    abort.abort();
    await rejectsWith(creating, 'Aborted');
    expect(await pool.inspectVolume(copy)).toBeUndefined();
    await pool.createVolume({
      volume: copy,
      sizeBytes: 128 * MiB,
      source: { kind: 'Volume', volume: src },
    });
    expect(await names(copy.uid)).toEqual([`vol-${copy.uid}`]);
    await qemuIo(volumeTarget(pool, copy), 'read -P 0x3c 127M 1M');
    await pool.deleteVolume(src);
    await pool.deleteVolume(copy);
  });

  it('never deletes or reverts a volume a running process holds open', async () => {
    const vol = owner('attached');
    await pool.createVolume({ volume: vol, sizeBytes: 8 * MiB });
    await writePattern(pool, vol, 0x10);
    const snap = { ...owner('attached-snap'), volumeUid: vol.uid };
    await pool.createSnapshot(snap);
    const holder = spawn('qemu-io', [volumeTarget(pool, vol)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      // Wait until QEMU's rbd driver has the image open (it registers as a watcher).
      for (let i = 0; ; i++) {
        const status = JSON.parse(
          await rbd(admin, ['status', `${poolName}/vol-${vol.uid}`, '--format', 'json']),
        ) as { watchers: unknown[] };
        if (status.watchers.length > 0) break;
        if (i > 200) throw new Error('qemu-io never opened the volume');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await rejectsWith(pool.deleteVolume(vol, { snapshots: 'delete' }), 'Busy')).toMatch(
        /open by 1 client/,
      );
      await rejectsWith(pool.revertVolume(snap), 'Busy');
      await rejectsWith(pool.reimageVolume(vol, owner('any-image')), 'Busy');
    } finally {
      holder.stdin.end('quit\n');
      await exited;
    }
    expect(await pool.inspectSnapshot(snap)).toBeDefined();
    await expectPattern(pool, vol, 0x10);
    await pool.deleteVolume(vol, { snapshots: 'delete' });
    expect(await names(vol.uid)).toEqual([]);
  });
});
