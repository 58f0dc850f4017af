// FilePool against real qemu-img and qemu-io on a temporary directory: the shared backend
// behaviour (backend-behaviour.ts), then what is particular to a directory of qcow2 files —
// crash and abort leftovers, relative backing files, retired images, volumes in use.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FilePool, type StorageBackend } from '../../../../operators/evs/backend/index.ts';
import { tempDir } from '../../../harness/index.ts';
import { describeBackendBehaviour, rejectsWith, type PoolUnderTest } from './backend-behaviour.ts';
import {
  expectPattern,
  makeImages,
  MiB,
  owner,
  qemuImg,
  qemuIo,
  requireTools,
  serveDir,
  volumeTarget,
  writePattern,
  type ImageFiles,
} from './pool-fixtures.ts';

let root: { dir: string; cleanup: () => Promise<void> };
let poolDir = '';
let pool: FilePool;
let images: ImageFiles;
let server: Awaited<ReturnType<typeof serveDir>>;

const names = async (uid: string) => (await readdir(poolDir)).filter((f) => f.includes(uid));

beforeAll(async () => {
  await requireTools(['qemu-img', 'qemu-io', 'prlimit']);
  root = await tempDir('file-pool');
  poolDir = path.join(root.dir, 'pool');
  const sources = path.join(root.dir, 'sources');
  await mkdir(poolDir);
  await mkdir(sources);
  images = await makeImages(sources);
  server = await serveDir(sources);
  pool = new FilePool({ dir: poolDir, importRoots: [sources] });
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

describe('file pool', () => {
  it('is PoolUnreachable when its directory is missing, and does not create it', async () => {
    const missing = new FilePool({ dir: path.join(root.dir, 'not-mounted') });
    await rejectsWith(missing.capacity(), 'PoolUnreachable');
    expect(
      await rejectsWith(
        missing.createVolume({ volume: owner('v'), sizeBytes: MiB }),
        'PoolUnreachable',
      ),
    ).toMatch(/exists and is mounted/);
    await expect(stat(path.join(root.dir, 'not-mounted'))).rejects.toThrow(/ENOENT/);
  });

  it('imports from a host file under an import directory', async () => {
    const img = owner('local');
    const info = await pool.importImage({
      image: img,
      source: { kind: 'File', path: images.qcow2 },
    });
    expect(info).toMatchObject({ sourceFormat: 'qcow2', virtualSizeBytes: 64 * MiB });
    // Images are read-only bases: no clone and no mistake can write them.
    expect((await stat(path.join(poolDir, info.id))).mode & 0o222).toBe(0);
    await pool.deleteImage(img);
    expect(await names(img.uid)).toEqual([]);
  });

  it('converges on one volume after a crash left a partial and a sidecar', async () => {
    const vol = owner('crashed');
    const crashedAt = new Date(Date.now() - 60_000);
    const attempt = `${crashedAt.getTime().toString(36)}-abcdef`;
    // What a kill half-way through a create leaves: the owner record, and half a data file.
    await writeFile(
      path.join(poolDir, `vol-${vol.uid}.json`),
      JSON.stringify({ kind: 'Volume', owner: vol, createdAt: crashedAt.toISOString() }),
    );
    await copyFile(images.qcow2, path.join(poolDir, `vol-${vol.uid}.qcow2.partial-${attempt}`));
    const leftovers = (await pool.listPartials()).filter((p) => p.uid === vol.uid);
    expect(leftovers.map((p) => p.id).sort()).toEqual([
      `vol-${vol.uid}.json`,
      `vol-${vol.uid}.qcow2.partial-${attempt}`,
    ]);
    expect(leftovers.map((p) => p.startedAt)).toEqual([crashedAt, crashedAt]);
    await pool.createVolume({ volume: vol, sizeBytes: 8 * MiB });
    expect((await names(vol.uid)).sort()).toEqual([`vol-${vol.uid}.json`, `vol-${vol.uid}.qcow2`]);
    expect((await pool.listPartials()).filter((p) => p.uid === vol.uid)).toEqual([]);
    expect((await pool.listObjects()).filter((o) => o.owner.uid === vol.uid)).toHaveLength(1);
    await pool.deleteVolume(vol);
  });

  it('converges on one volume after a create aborted in the middle of a large copy', async () => {
    const src = owner('big');
    await pool.createVolume({ volume: src, sizeBytes: 768 * MiB });
    // Data everywhere, so that the copy has real work to do.
    await qemuIo(volumeTarget(pool, src), 'write -P 0x3c 0 768M');
    const copy = owner('aborted');
    const abort = new AbortController();
    const creating = pool.createVolume(
      { volume: copy, sizeBytes: 768 * MiB, source: { kind: 'Volume', volume: src } },
      abort.signal,
    );
    // Abort once the partial exists: qemu-img is copying.
    for (;;) {
      if ((await names(copy.uid)).some((f) => f.includes('.qcow2.partial-'))) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    abort.abort();
    await rejectsWith(creating, 'Aborted');
    expect(await pool.inspectVolume(copy)).toBeUndefined();
    const made = await pool.createVolume({
      volume: copy,
      sizeBytes: 768 * MiB,
      source: { kind: 'Volume', volume: src },
    });
    expect(made.virtualSizeBytes).toBe(768 * MiB);
    expect((await names(copy.uid)).sort()).toEqual([
      `vol-${copy.uid}.json`,
      `vol-${copy.uid}.qcow2`,
    ]);
    await qemuIo(volumeTarget(pool, copy), 'read -P 0x3c 767M 1M');
    await pool.deleteVolume(src);
    await pool.deleteVolume(copy);
  });

  it('cleans partials older than a time and keeps newer ones', async () => {
    const old = owner('old');
    const fresh = owner('fresh');
    const cutoff = new Date();
    const oldName = `vol-${old.uid}.qcow2.partial-${(cutoff.getTime() - 1000).toString(36)}-000001`;
    const freshName = `vol-${fresh.uid}.qcow2.partial-${(cutoff.getTime() + 1000).toString(36)}-000002`;
    await writeFile(path.join(poolDir, oldName), '');
    await writeFile(path.join(poolDir, freshName), '');
    expect(await pool.cleanupPartials(cutoff)).toContain(oldName);
    expect(await names(old.uid)).toEqual([]);
    expect(await names(fresh.uid)).toEqual([freshName]);
    await pool.cleanupPartials(new Date(cutoff.getTime() + 2000));
    expect(await names(fresh.uid)).toEqual([]);
  });

  it('clones name their image relatively: the pool reads the same mounted elsewhere', async () => {
    const elsewhere = path.join(root.dir, 'moved');
    await mkdir(elsewhere);
    const here = new FilePool({ dir: elsewhere, importRoots: [path.dirname(images.qcow2)] });
    const img = owner('portable');
    await here.importImage({ image: img, source: { kind: 'File', path: images.qcow2 } });
    const vol = owner('portable-vol');
    await here.createVolume({
      volume: vol,
      sizeBytes: 64 * MiB,
      source: { kind: 'Image', image: img },
    });
    const mountedAgain = path.join(root.dir, 'moved-again');
    await rename(elsewhere, mountedAgain);
    const there: StorageBackend = new FilePool({ dir: mountedAgain });
    await expectPattern(there, vol, 0xab);
    await there.deleteVolume(vol);
    await there.deleteImage(img);
    expect(await readdir(mountedAgain)).toEqual([]);
  });

  it('keeps a deleted image as retired while a clone uses it, and removes it with the last clone', async () => {
    const img = owner('retiring');
    await pool.importImage({ image: img, source: { kind: 'File', path: images.qcow2 } });
    const vol = owner('retiring-user');
    await pool.createVolume({
      volume: vol,
      sizeBytes: 64 * MiB,
      source: { kind: 'Image', image: img },
    });
    await pool.deleteImage(img);
    expect((await pool.listObjects()).filter((o) => o.owner.uid === img.uid)).toEqual([
      expect.objectContaining({ kind: 'Image', state: 'retired' }),
    ]);
    // Quarantining a retired image would keep it forever; the sweep skips retired objects.
    await pool.deleteVolume(vol);
    expect(await names(img.uid)).toEqual([]);
  });

  it('marks an image quarantined in place while clones use it', async () => {
    const img = owner('suspect');
    await pool.importImage({ image: img, source: { kind: 'File', path: images.qcow2 } });
    const vol = owner('suspect-user');
    await pool.createVolume({
      volume: vol,
      sizeBytes: 64 * MiB,
      source: { kind: 'Image', image: img },
    });
    await pool.quarantine('Image', img);
    expect(await pool.inspectImage(img)).toBeUndefined();
    expect((await pool.listObjects()).filter((o) => o.owner.uid === img.uid)).toEqual([
      expect.objectContaining({ kind: 'Image', state: 'quarantined', id: `img-${img.uid}.qcow2` }),
    ]);
    await expectPattern(pool, vol, 0xab);
    await pool.deleteImage(img);
    await pool.deleteVolume(vol);
    // Quarantined: kept for a human even after its clones and its owner are gone.
    expect((await names(img.uid)).sort()).toEqual([`img-${img.uid}.json`, `img-${img.uid}.qcow2`]);
  });

  it('counts both images while a reimage is cut off, and reports the one the data are of', async () => {
    const a = owner('reimage-from');
    const b = owner('reimage-to');
    await pool.importImage({ image: a, source: { kind: 'Url', url: server.url(images.qcow2) } });
    await pool.importImage({ image: b, source: { kind: 'Url', url: server.url(images.raw) } });
    const vol = owner('cut-off');
    await pool.createVolume({
      volume: vol,
      sizeBytes: 64 * MiB,
      source: { kind: 'Image', image: a },
    });
    await writePattern(pool, vol, 0x99, 4 * MiB);
    const sidecar = path.join(poolDir, `vol-${vol.uid}.json`);
    const settled = JSON.parse(await readFile(sidecar, 'utf8')) as object;
    // Killed while building the clone: the sidecar names image B as coming, half a clone.
    const crashedAt = new Date(Date.now() - 60_000);
    const partial = `vol-${vol.uid}.qcow2.partial-${crashedAt.getTime().toString(36)}-abcdef`;
    await writeFile(sidecar, JSON.stringify({ ...settled, reimage: b }));
    await copyFile(images.raw, path.join(poolDir, partial));
    expect(await pool.inspectVolume(vol)).toMatchObject({
      image: a,
      parent: { kind: 'Image', uid: a.uid },
    });
    await expectPattern(pool, vol, 0x99, 4 * MiB);
    // Deleting both images retires them: the volume's data and its coming clone use them.
    await pool.deleteImage(a);
    await pool.deleteImage(b);
    expect(await names(a.uid)).toHaveLength(2);
    expect(await names(b.uid)).toHaveLength(2);
    // Killed after the new data replaced the old, before the sidecar said so: the data's
    // backing file tells.
    await qemuImg([
      'create',
      '-f',
      'qcow2',
      '-b',
      `img-${b.uid}.qcow2`,
      '-F',
      'qcow2',
      path.join(poolDir, partial),
      '64M',
    ]);
    await rename(path.join(poolDir, partial), path.join(poolDir, `vol-${vol.uid}.qcow2`));
    expect(await pool.inspectVolume(vol)).toMatchObject({
      image: b,
      parent: { kind: 'Image', uid: b.uid },
    });
    await expectPattern(pool, vol, 0x00, 4 * MiB);
    // Deleting the volume lets both retired images go.
    await pool.deleteVolume(vol);
    expect(await names(vol.uid)).toEqual([]);
    expect(await names(a.uid)).toEqual([]);
    expect(await names(b.uid)).toEqual([]);
  });

  it('finishes a reimage cut off after the swap on its next run, letting go of the old image', async () => {
    const a = owner('settle-from');
    const b = owner('settle-to');
    await pool.importImage({ image: a, source: { kind: 'Url', url: server.url(images.qcow2) } });
    await pool.importImage({ image: b, source: { kind: 'Url', url: server.url(images.qcow2) } });
    const vol = owner('settled');
    await pool.createVolume({
      volume: vol,
      sizeBytes: 64 * MiB,
      source: { kind: 'Image', image: a },
    });
    const sidecar = path.join(poolDir, `vol-${vol.uid}.json`);
    const settled = JSON.parse(await readFile(sidecar, 'utf8')) as object;
    await writeFile(sidecar, JSON.stringify({ ...settled, reimage: b }));
    const partial = path.join(poolDir, `vol-${vol.uid}.qcow2.partial-0-abcdef`);
    await qemuImg([
      'create',
      '-f',
      'qcow2',
      '-b',
      `img-${b.uid}.qcow2`,
      '-F',
      'qcow2',
      partial,
      '64M',
    ]);
    await rename(partial, path.join(poolDir, `vol-${vol.uid}.qcow2`));
    await pool.deleteImage(a);
    // The operation is retried: the same reimage again ends settled, image A is let go.
    expect(await pool.reimageVolume(vol, b)).toMatchObject({
      image: b,
      virtualSizeBytes: 64 * MiB,
    });
    expect(await names(a.uid)).toEqual([]);
    expect(JSON.parse(await readFile(sidecar, 'utf8'))).toMatchObject({
      parentImageUid: b.uid,
      image: b,
    });
    expect(JSON.parse(await readFile(sidecar, 'utf8'))).not.toHaveProperty('reimage');
    await pool.deleteVolume(vol);
    await pool.deleteImage(b);
    expect(await names(b.uid)).toEqual([]);
  });

  it('never deletes a volume a running process holds open', async () => {
    const vol = owner('attached');
    await pool.createVolume({ volume: vol, sizeBytes: 8 * MiB });
    await writePattern(pool, vol, 0x10);
    // qemu-io without -c keeps the image open, as a guest's QEMU does, until stdin closes.
    const holder = spawn('qemu-io', [volumeTarget(pool, vol)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await rejectsWith(pool.deleteVolume(vol), 'Busy')).toMatch(/lock/);
      await rejectsWith(pool.createSnapshot({ ...owner('s'), volumeUid: vol.uid }), 'Busy');
      await rejectsWith(pool.reimageVolume(vol, owner('any-image')), 'Busy');
    } finally {
      holder.stdin.end('quit\n');
      await exited;
    }
    await expectPattern(pool, vol, 0x10);
    await pool.deleteVolume(vol);
    expect(await names(vol.uid)).toEqual([]);
  });
});
