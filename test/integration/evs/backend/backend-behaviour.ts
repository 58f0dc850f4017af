// The behaviour every StorageBackend shares, run against each real pool by its own test file:
// the data written through QEMU's view of a volume is what reads back through clones,
// snapshots, reverts and imports, and every refusal leaves nothing in the pool.
import { describe, expect, it } from '@jest/globals';
import {
  isStorageError,
  type OwnerRef,
  type SnapshotRef,
  type StorageBackend,
  type StorageErrorReason,
} from '../../../../operators/evs/backend/index.ts';
import {
  expectPattern,
  MiB,
  owner,
  sha256,
  writePattern,
  type ImageFiles,
} from './pool-fixtures.ts';

export interface PoolUnderTest {
  pool: StorageBackend;
  images: ImageFiles;
  url: (file: string) => string;
  /** Everything the pool holds whose backend name contains `uid` (partials included). */
  namesWith: (uid: string) => Promise<string[]>;
}

export async function rejectsWith(
  promise: Promise<unknown>,
  reason: StorageErrorReason,
): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isStorageError(err, reason)) return err.message;
    throw err;
  }
  throw new Error(`expected a StorageError ${reason}, but the call succeeded`);
}

const snapOf = (volume: OwnerRef, name: string): SnapshotRef => ({
  ...owner(name),
  volumeUid: volume.uid,
});

export function describeBackendBehaviour(get: () => PoolUnderTest): void {
  let imported: OwnerRef | undefined;
  /** One image imported from the HTTP server, shared by the cases that clone it. */
  async function image(): Promise<OwnerRef> {
    if (!imported) {
      const { pool, images, url } = get();
      const ref = owner('debian');
      await pool.importImage({
        image: ref,
        source: { kind: 'Url', url: url(images.qcow2) },
        format: 'qcow2',
        sha256: await sha256(images.qcow2),
      });
      imported = ref;
    }
    return imported;
  }

  describe('capacity', () => {
    it('reports total and available bytes', async () => {
      const { totalBytes, availableBytes } = await get().pool.capacity();
      expect(totalBytes).toBeGreaterThan(0);
      expect(availableBytes).toBeGreaterThan(0);
      expect(availableBytes).toBeLessThanOrEqual(totalBytes);
    });
  });

  describe('blank volumes', () => {
    it('creates, is idempotent, grows but never shrinks, and deletes', async () => {
      const { pool } = get();
      const vol = owner('blank');
      const made = await pool.createVolume({ volume: vol, sizeBytes: 10 * MiB });
      expect(made).toMatchObject({
        owner: vol,
        virtualSizeBytes: 10 * MiB,
        format: pool.nativeFormat,
      });
      expect(made.parent).toBeUndefined();
      expect(await pool.createVolume({ volume: vol, sizeBytes: 10 * MiB })).toEqual(made);
      await writePattern(pool, vol, 0x5a);
      // A size that is not whole MiB is rounded up, never down.
      expect((await pool.growVolume(vol, 20 * MiB + 1)).virtualSizeBytes).toBe(21 * MiB);
      expect(await rejectsWith(pool.growVolume(vol, 4 * MiB), 'ShrinkRefused')).toMatch(
        /only grow/,
      );
      expect((await pool.inspectVolume(vol))?.virtualSizeBytes).toBe(21 * MiB);
      await expectPattern(pool, vol, 0x5a);
      await pool.deleteVolume(vol);
      expect(await pool.inspectVolume(vol)).toBeUndefined();
      await pool.deleteVolume(vol);
      expect(await get().namesWith(vol.uid)).toEqual([]);
    });

    it('refuses a size of zero and creates nothing', async () => {
      const vol = owner('zero');
      await rejectsWith(get().pool.createVolume({ volume: vol, sizeBytes: 0 }), 'InvalidSize');
      expect(await get().namesWith(vol.uid)).toEqual([]);
    });
  });

  describe('images', () => {
    it('imports a qcow2 over http with its checksum and clones it copy-on-write', async () => {
      const { pool, images } = get();
      const img = await image();
      const info = await pool.inspectImage(img);
      expect(info).toMatchObject({
        owner: img,
        virtualSizeBytes: 64 * MiB,
        sourceFormat: 'qcow2',
        sha256: await sha256(images.qcow2),
      });
      const a = owner('boot-a');
      const b = owner('boot-b');
      const cloneA = await pool.createVolume({
        volume: a,
        sizeBytes: 128 * MiB,
        source: { kind: 'Image', image: img },
      });
      expect(cloneA).toMatchObject({
        virtualSizeBytes: 128 * MiB,
        parent: { kind: 'Image', uid: img.uid },
      });
      // Copy-on-write: the clone holds far less than the image's data.
      expect(cloneA.allocatedBytes).toBeLessThan(MiB);
      await pool.createVolume({
        volume: b,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: img },
      });
      await expectPattern(pool, a, 0xab);
      await writePattern(pool, a, 0xcd);
      await expectPattern(pool, a, 0xcd);
      await expectPattern(pool, b, 0xab);
      await pool.deleteVolume(a);
      await pool.deleteVolume(b);
    });

    it('imports a raw image, detected as raw and stored in the native format', async () => {
      const { pool, images, url } = get();
      const img = owner('raw');
      const info = await pool.importImage({
        image: img,
        source: { kind: 'Url', url: url(images.raw) },
        format: 'raw',
      });
      expect(info).toMatchObject({
        virtualSizeBytes: 32 * MiB,
        sourceFormat: 'raw',
        sha256: await sha256(images.raw),
      });
      const vol = owner('from-raw');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 32 * MiB,
        source: { kind: 'Image', image: img },
      });
      await expectPattern(pool, vol, 0xab);
      await pool.deleteVolume(vol);
      await pool.deleteImage(img);
      expect(await pool.inspectImage(img)).toBeUndefined();
      expect(await get().namesWith(img.uid)).toEqual([]);
    });

    it('refuses a clone smaller than its image', async () => {
      const vol = owner('small');
      const message = await rejectsWith(
        get().pool.createVolume({
          volume: vol,
          sizeBytes: 16 * MiB,
          source: { kind: 'Image', image: await image() },
        }),
        'InvalidSize',
      );
      expect(message).toMatch(/smaller than image/);
      expect(await get().namesWith(vol.uid)).toEqual([]);
    });

    it('refuses a missing image with NotFound, creating nothing', async () => {
      const vol = owner('orphan-clone');
      await rejectsWith(
        get().pool.createVolume({
          volume: vol,
          sizeBytes: 64 * MiB,
          source: { kind: 'Image', image: owner('nothing') },
        }),
        'NotFound',
      );
      expect(await get().namesWith(vol.uid)).toEqual([]);
    });

    it.each<
      [string, (f: ImageFiles, url: (file: string) => string) => object, StorageErrorReason, RegExp]
    >([
      [
        'a wrong checksum',
        (f, url) => ({ source: { kind: 'Url', url: url(f.qcow2) }, sha256: '0'.repeat(64) }),
        'ChecksumMismatch',
        /sha256 is [0-9a-f]{64}, not the declared 0{64}/,
      ],
      [
        'a raw file declared qcow2',
        (f, url) => ({
          source: { kind: 'Url', url: url(f.raw) },
          format: 'qcow2',
        }),
        'FormatMismatch',
        /declared qcow2 but is raw/,
      ],
      [
        'a qcow2 with /etc/passwd as backing file',
        (f, url) => ({ source: { kind: 'Url', url: url(f.backedByHostFile) } }),
        'UnsafeImage',
        /backing file \(\/etc\/passwd\)/,
      ],
      [
        'a qcow2 with an external data file',
        (f, url) => ({ source: { kind: 'Url', url: url(f.externalData) } }),
        'UnsafeImage',
        /external file/,
      ],
      [
        'a VMDK descriptor naming a host FIFO, without ever opening it',
        (f, url) => ({ source: { kind: 'Url', url: url(f.vmdkOnFifo) } }),
        'UnsupportedFormat',
        /the image is vmdk; only qcow2 and raw/,
      ],
      [
        'a qcow2 claiming 64 TiB',
        (f, url) => ({ source: { kind: 'Url', url: url(f.huge) } }),
        'UnsafeImage',
        /more than the largest volume/,
      ],
      [
        'a URL that answers 404',
        (_f, url) => ({ source: { kind: 'Url', url: url('missing.qcow2') } }),
        'SourceUnreachable',
        /answered 404/,
      ],
      [
        'a file: URL',
        () => ({ source: { kind: 'Url', url: 'file:///etc/passwd' } }),
        'InvalidSource',
        /use http or https/,
      ],
      [
        'a host path outside the import directories',
        () => ({ source: { kind: 'File', path: '/etc/passwd' } }),
        'PathNotAllowed',
        /outside the directories/,
      ],
    ])('refuses %s, leaving nothing in the pool', async (_name, request, reason, message) => {
      const { pool, images, url } = get();
      const img = owner('refused');
      const req = { image: img, ...request(images, url) } as Parameters<
        StorageBackend['importImage']
      >[0];
      expect(await rejectsWith(pool.importImage(req), reason)).toMatch(message);
      expect(await pool.inspectImage(img)).toBeUndefined();
      expect((await pool.listPartials()).filter((p) => p.uid === img.uid)).toEqual([]);
      expect(await get().namesWith(img.uid)).toEqual([]);
    });

    it('makes an image from a volume, standalone from it', async () => {
      const { pool } = get();
      const vol = owner('golden');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: await image() },
      });
      await writePattern(pool, vol, 0x42, 8 * MiB);
      const img = owner('golden-image');
      const info = await pool.importImage({ image: img, source: { kind: 'Volume', volume: vol } });
      expect(info).toMatchObject({ virtualSizeBytes: 64 * MiB, sourceFormat: pool.nativeFormat });
      expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
      await pool.deleteVolume(vol);
      const clone = owner('from-golden');
      await pool.createVolume({
        volume: clone,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: img },
      });
      await expectPattern(pool, clone, 0xab);
      await expectPattern(pool, clone, 0x42, 8 * MiB);
      await pool.deleteVolume(clone);
      await pool.deleteImage(img);
    });

    it('keeps the data of clones when their image is deleted', async () => {
      const { pool, images, url } = get();
      const img = owner('short-lived');
      await pool.importImage({ image: img, source: { kind: 'Url', url: url(images.qcow2) } });
      const vol = owner('survivor');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: img },
      });
      await writePattern(pool, vol, 0x77, 4 * MiB);
      await pool.deleteImage(img);
      expect(await pool.inspectImage(img)).toBeUndefined();
      // The image can no longer be cloned…
      await rejectsWith(
        pool.createVolume({
          volume: owner('late'),
          sizeBytes: 64 * MiB,
          source: { kind: 'Image', image: img },
        }),
        'NotFound',
      );
      // …and the volume still reads the image's data and its own.
      await expectPattern(pool, vol, 0xab);
      await expectPattern(pool, vol, 0x77, 4 * MiB);
      await pool.deleteVolume(vol);
      expect(await get().namesWith(img.uid)).toEqual([]);
    });
  });

  describe('reimage', () => {
    /** Image B: image A's data with 0x5c over its ninth MiB, made from a volume. */
    let imageB: OwnerRef | undefined;
    async function secondImage(): Promise<OwnerRef> {
      if (!imageB) {
        const { pool } = get();
        const src = owner('golden-b');
        await pool.createVolume({
          volume: src,
          sizeBytes: 64 * MiB,
          source: { kind: 'Image', image: await image() },
        });
        await writePattern(pool, src, 0x5c, 8 * MiB);
        const ref = owner('image-b');
        await pool.importImage({ image: ref, source: { kind: 'Volume', volume: src } });
        await pool.deleteVolume(src);
        imageB = ref;
      }
      return imageB;
    }

    it('replaces the data with a fresh clone of another image, keeping the volume and its size', async () => {
      const { pool } = get();
      const a = await image();
      const b = await secondImage();
      const vol = owner('rebuilt');
      const made = await pool.createVolume({
        volume: vol,
        sizeBytes: 128 * MiB,
        source: { kind: 'Image', image: a },
      });
      expect(made.image).toEqual(a);
      expect((await pool.inspectVolume(vol))?.image).toEqual(a);
      await writePattern(pool, vol, 0x99, 4 * MiB);
      const info = await pool.reimageVolume(vol, b);
      expect(info).toMatchObject({
        owner: vol,
        virtualSizeBytes: 128 * MiB,
        parent: { kind: 'Image', uid: b.uid },
        image: b,
      });
      // Copy-on-write again: the fresh clone holds none of the image's data.
      expect(info.allocatedBytes).toBeLessThan(MiB);
      await expectPattern(pool, vol, 0xab);
      await expectPattern(pool, vol, 0x5c, 8 * MiB);
      // The mark written before is gone: the data are the image's alone.
      await expectPattern(pool, vol, 0x00, 4 * MiB);
      expect(await pool.inspectVolume(vol)).toMatchObject({
        image: b,
        virtualSizeBytes: 128 * MiB,
      });
      // Again, and back to the first image: each time a fresh clone, nothing else left.
      await writePattern(pool, vol, 0x99, 4 * MiB);
      await pool.reimageVolume(vol, b);
      await expectPattern(pool, vol, 0x00, 4 * MiB);
      await pool.reimageVolume(vol, a);
      await expectPattern(pool, vol, 0x00, 8 * MiB);
      expect((await pool.inspectVolume(vol))?.image).toEqual(a);
      expect((await pool.listPartials()).filter((p) => p.uid === vol.uid)).toEqual([]);
      await pool.deleteVolume(vol);
      expect(await get().namesWith(vol.uid)).toEqual([]);
    });

    it('refuses an image larger than the volume, a missing image and a volume with snapshots, touching nothing', async () => {
      const { pool, images, url } = get();
      const small = owner('small-image');
      await pool.importImage({ image: small, source: { kind: 'Url', url: url(images.raw) } });
      const vol = owner('too-small');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 32 * MiB,
        source: { kind: 'Image', image: small },
      });
      await writePattern(pool, vol, 0x99, 4 * MiB);
      const names = await get().namesWith(vol.uid);
      expect(await rejectsWith(pool.reimageVolume(vol, await image()), 'InvalidSize')).toMatch(
        /grow the volume first/,
      );
      await rejectsWith(pool.reimageVolume(vol, owner('nothing')), 'NotFound');
      const snap = snapOf(vol, 'kept');
      await pool.createSnapshot(snap);
      expect(await rejectsWith(pool.reimageVolume(vol, small), 'HasSnapshots')).toMatch(
        /delete its VolumeSnapshots first/,
      );
      // Still the same data, image and snapshot; no partial left.
      await expectPattern(pool, vol, 0x99, 4 * MiB);
      expect((await pool.inspectVolume(vol))?.image).toEqual(small);
      expect(await pool.listSnapshots(vol)).toHaveLength(1);
      await pool.deleteSnapshot(snap);
      expect(await get().namesWith(vol.uid)).toEqual(names);
      await pool.deleteVolume(vol);
      await pool.deleteImage(small);
    });

    it('lets go of the image the volume was made from, once deleted', async () => {
      const { pool, images, url } = get();
      const old = owner('old-image');
      await pool.importImage({ image: old, source: { kind: 'Url', url: url(images.qcow2) } });
      const vol = owner('moved-on');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: old },
      });
      await pool.deleteImage(old);
      await pool.reimageVolume(vol, await secondImage());
      await expectPattern(pool, vol, 0x5c, 8 * MiB);
      expect(await get().namesWith(old.uid)).toEqual([]);
      await pool.deleteVolume(vol);
    });
  });

  describe('snapshots', () => {
    it('keeps a chain, reverts to any snapshot keeping the others, and makes volumes from them', async () => {
      const { pool } = get();
      const vol = owner('chain');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: await image() },
      });
      await writePattern(pool, vol, 0x11, 2 * MiB);
      const s1 = snapOf(vol, 's1');
      const s1info = await pool.createSnapshot(s1);
      expect(s1info).toMatchObject({ owner: s1, sizeBytes: 64 * MiB });
      expect(await pool.createSnapshot(s1)).toEqual(s1info);
      await writePattern(pool, vol, 0x22, 2 * MiB);
      await pool.growVolume(vol, 96 * MiB);
      await writePattern(pool, vol, 0x55, 90 * MiB);
      const s2 = snapOf(vol, 's2');
      expect((await pool.createSnapshot(s2)).sizeBytes).toBe(96 * MiB);
      await writePattern(pool, vol, 0x33, 2 * MiB);
      const listed = await pool.listSnapshots(vol);
      expect(listed.map((s) => s.owner.uid)).toEqual([s1.uid, s2.uid]);
      expect(listed[0]?.createdAt.getTime()).toBeLessThanOrEqual(
        listed[1]?.createdAt.getTime() ?? 0,
      );

      // Revert to the older one: its data and its size; the newer one stays.
      expect((await pool.revertVolume(s1)).virtualSizeBytes).toBe(64 * MiB);
      await expectPattern(pool, vol, 0x11, 2 * MiB);
      await expectPattern(pool, vol, 0xab);
      expect((await pool.listSnapshots(vol)).length).toBe(2);
      // A volume from the larger snapshot while the volume is the smaller: all of s2.
      const fromS2 = owner('from-s2');
      expect(
        (
          await pool.createVolume({
            volume: fromS2,
            sizeBytes: 96 * MiB,
            source: { kind: 'VolumeSnapshot', snapshot: s2 },
          })
        ).virtualSizeBytes,
      ).toBe(96 * MiB);
      await expectPattern(pool, fromS2, 0x22, 2 * MiB);
      await expectPattern(pool, fromS2, 0x55, 90 * MiB);
      expect(await pool.listSnapshots(fromS2)).toEqual([]);
      await pool.deleteVolume(fromS2);
      expect((await pool.revertVolume(s2)).virtualSizeBytes).toBe(96 * MiB);
      await expectPattern(pool, vol, 0x22, 2 * MiB);

      // A volume from s1, snapshotted and reverted in turn: a chain of a chain.
      const child = owner('child');
      const made = await pool.createVolume({
        volume: child,
        sizeBytes: 80 * MiB,
        source: { kind: 'VolumeSnapshot', snapshot: s1 },
      });
      expect(made.virtualSizeBytes).toBe(80 * MiB);
      await expectPattern(pool, child, 0x11, 2 * MiB);
      await expectPattern(pool, child, 0xab);
      const c1 = snapOf(child, 'c1');
      await pool.createSnapshot(c1);
      await writePattern(pool, child, 0x44, 2 * MiB);
      await pool.revertVolume(c1);
      await expectPattern(pool, child, 0x11, 2 * MiB);

      // Deleting s1 (which child was made from) and the whole source volume keeps child whole.
      await pool.deleteSnapshot(s1);
      await pool.deleteSnapshot(s1);
      expect(await pool.inspectSnapshot(s1)).toBeUndefined();
      expect(await rejectsWith(pool.deleteVolume(vol), 'HasSnapshots')).toMatch(/1 snapshot/);
      await pool.deleteVolume(vol, { snapshots: 'delete' });
      expect(await pool.inspectSnapshot(s2)).toBeUndefined();
      await expectPattern(pool, child, 0x11, 2 * MiB);
      await expectPattern(pool, child, 0xab);
      await pool.deleteVolume(child, { snapshots: 'delete' });
      for (const uid of [vol.uid, s1.uid, s2.uid, child.uid, c1.uid]) {
        expect(await get().namesWith(uid)).toEqual([]);
      }
    });

    it('refuses a volume from a snapshot smaller than the snapshot', async () => {
      const { pool } = get();
      const vol = owner('src');
      await pool.createVolume({ volume: vol, sizeBytes: 8 * MiB });
      const snap = snapOf(vol, 'snap');
      await pool.createSnapshot(snap);
      const small = owner('small');
      await rejectsWith(
        pool.createVolume({
          volume: small,
          sizeBytes: 4 * MiB,
          source: { kind: 'VolumeSnapshot', snapshot: snap },
        }),
        'InvalidSize',
      );
      expect(await get().namesWith(small.uid)).toEqual([]);
      await pool.deleteVolume(vol, { snapshots: 'delete' });
    });

    it('leaves one consistent outcome when a snapshot and a delete of one volume race', async () => {
      const { pool } = get();
      // Snapshot asked first: the delete finds the snapshot and is refused.
      const a = owner('race-a');
      await pool.createVolume({ volume: a, sizeBytes: 8 * MiB });
      await writePattern(pool, a, 0x0a);
      const sa = snapOf(a, 'race-a-snap');
      const [snapped, deleted] = await Promise.allSettled([
        pool.createSnapshot(sa),
        pool.deleteVolume(a),
      ]);
      expect(snapped.status).toBe('fulfilled');
      expect(deleted.status === 'rejected' && isStorageError(deleted.reason, 'HasSnapshots')).toBe(
        true,
      );
      expect(await pool.inspectSnapshot(sa)).toBeDefined();
      await expectPattern(pool, a, 0x0a);
      await pool.deleteVolume(a, { snapshots: 'delete' });
      // Delete asked first: the volume goes, the snapshot finds nothing and leaves nothing.
      const b = owner('race-b');
      await pool.createVolume({ volume: b, sizeBytes: 8 * MiB });
      const sb = snapOf(b, 'race-b-snap');
      const [gone, late] = await Promise.allSettled([
        pool.deleteVolume(b),
        pool.createSnapshot(sb),
      ]);
      expect(gone.status).toBe('fulfilled');
      expect(late.status === 'rejected' && isStorageError(late.reason, 'NotFound')).toBe(true);
      for (const uid of [a.uid, sa.uid, b.uid, sb.uid]) {
        expect(await get().namesWith(uid)).toEqual([]);
      }
      expect((await pool.listPartials()).filter((p) => [sa.uid, sb.uid].includes(p.uid))).toEqual(
        [],
      );
    });

    it('snapshots a missing volume as NotFound', async () => {
      await rejectsWith(get().pool.createSnapshot(snapOf(owner('gone'), 'snap')), 'NotFound');
    });
  });

  describe('clones of volumes', () => {
    it('copies a volume at a point in time, independent of it afterwards', async () => {
      const { pool } = get();
      const src = owner('source');
      await pool.createVolume({
        volume: src,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: await image() },
      });
      await writePattern(pool, src, 0x61, 3 * MiB);
      const copy = owner('copy');
      const made = await pool.createVolume({
        volume: copy,
        sizeBytes: 72 * MiB,
        source: { kind: 'Volume', volume: src },
      });
      expect(made.virtualSizeBytes).toBe(72 * MiB);
      await writePattern(pool, src, 0x62, 3 * MiB);
      await expectPattern(pool, copy, 0x61, 3 * MiB);
      await expectPattern(pool, copy, 0xab);
      await pool.deleteVolume(src);
      await expectPattern(pool, copy, 0x61, 3 * MiB);
      await pool.deleteVolume(copy);
    });
  });

  describe('ownership', () => {
    it('lists every object with its owner, and moves one aside without losing it', async () => {
      const { pool } = get();
      const img = await image();
      const vol = owner('listed');
      await pool.createVolume({
        volume: vol,
        sizeBytes: 64 * MiB,
        source: { kind: 'Image', image: img },
      });
      await writePattern(pool, vol, 0x99, MiB);
      const snap = snapOf(vol, 'listed-snap');
      await pool.createSnapshot(snap);
      const objects = await pool.listObjects();
      expect(objects).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'Image', owner: img, state: 'active' }),
          expect.objectContaining({ kind: 'Volume', owner: vol, state: 'active' }),
          expect.objectContaining({
            kind: 'VolumeSnapshot',
            owner: { namespace: snap.namespace, name: snap.name, uid: snap.uid },
            volumeUid: vol.uid,
            state: 'active',
          }),
        ]),
      );
      await pool.quarantine('Volume', vol);
      await pool.quarantine('Volume', vol);
      expect(await pool.inspectVolume(vol)).toBeUndefined();
      const after = await pool.listObjects();
      expect(after.filter((o) => o.owner.uid === vol.uid)).toEqual([
        expect.objectContaining({ kind: 'Volume', owner: vol, state: 'quarantined' }),
      ]);
      // A delete by the (gone) owner's UID does not reach what was moved aside.
      await pool.deleteVolume(vol, { snapshots: 'delete' });
      expect((await pool.listObjects()).filter((o) => o.owner.uid === vol.uid)).toHaveLength(1);
      expect(await get().namesWith(vol.uid)).not.toEqual([]);
    });
  });
}
