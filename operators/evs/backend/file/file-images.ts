import { chmod } from 'node:fs/promises';
import { StorageError } from '../errors.ts';
import { sha256OfFile, stageSource, unstage } from '../image-source.ts';
import { checkUid, newAttempt, objectName, partialName } from '../naming.ts';
import { convertArgs } from '../qemu-img.ts';
import type { ImageInfo, ImportImageRequest, OwnerRef } from '../storage-backend.ts';
import { convertLimits, inspectUntrusted } from '../untrusted-image.ts';
import type { FileContext } from './file-context.ts';
import { dataFile, sidecarFile } from './file-layout.ts';
import { cleanupPartials, imageDependents, imageKey, volumeKey } from './file-objects.ts';

/**
 * Images of a file pool: standalone read-only qcow2 files, the backing files of the volumes
 * cloned from them. Deleting an image that volumes still use retires it instead: it is no
 * longer an image anyone can clone or see, and its file goes with the last volume using it
 * (a qcow2 overlay cannot lose its backing file, and flattening a volume a guest is running
 * on is not possible offline).
 */

export async function inspectImage(
  ctx: FileContext,
  image: OwnerRef,
  signal?: AbortSignal,
): Promise<ImageInfo | undefined> {
  const file = dataFile('Image', checkUid(image.uid));
  const sidecar = await ctx.pool.readSidecar(sidecarFile('Image', image.uid));
  if (!sidecar || sidecar.state || !(await ctx.pool.exists(file))) return undefined;
  // An image is read-only: its size recorded at import is its size (no qemu-img per clone).
  const virtualSizeBytes = sidecar.sizeBytes ?? (await ctx.info(file, signal)).virtualSizeBytes;
  return {
    owner: sidecar.owner,
    id: file,
    virtualSizeBytes,
    sourceFormat: sidecar.sourceFormat ?? 'qcow2',
    sha256: sidecar.sha256 ?? '',
  };
}

/** An image volumes may be cloned from: present, neither retired nor quarantined. */
export async function activeImage(ctx: FileContext, image: OwnerRef): Promise<ImageInfo> {
  const info = await inspectImage(ctx, image);
  if (!info) {
    throw new StorageError(
      'NotFound',
      `image ${image.namespace}/${image.name} (${image.uid}) is not in pool ${ctx.pool.dir}`,
    );
  }
  return info;
}

interface Built {
  sha256: string;
  sourceFormat: 'qcow2' | 'raw';
}

async function build(
  ctx: FileContext,
  req: ImportImageRequest,
  target: string,
  downloadTo: string,
  signal?: AbortSignal,
): Promise<Built> {
  const source = req.source;
  if (source.kind === 'Volume') {
    const volumeFile = dataFile('Volume', checkUid(source.volume.uid));
    if (!(await ctx.pool.exists(volumeFile))) {
      throw new StorageError(
        'NotFound',
        `volume ${source.volume.namespace}/${source.volume.name} is not in pool ${ctx.pool.dir}`,
      );
    }
    if (req.format && req.format !== 'qcow2') {
      throw new StorageError(
        'FormatMismatch',
        `volumes of a file pool are qcow2, not ${req.format}`,
      );
    }
    // The whole chain into one standalone file: an image is never an overlay itself.
    await ctx.locks.run(volumeKey(source.volume.uid), () =>
      ctx.qemuImg(
        convertArgs({
          source: ctx.pool.path(volumeFile),
          sourceFormat: 'qcow2',
          target,
          targetFormat: 'qcow2',
        }),
        'copying the volume into an image',
        signal,
      ),
    );
    const sha256 = await sha256OfFile(target, signal);
    if (req.sha256 && req.sha256.toLowerCase() !== sha256) {
      throw new StorageError(
        'ChecksumMismatch',
        `the image made from the volume has sha256 ${sha256}, not ${req.sha256}`,
      );
    }
    return { sha256, sourceFormat: 'qcow2' };
  }
  const staged = await stageSource(
    source,
    { downloadTo, importRoots: ctx.importRoots, sha256: req.sha256 },
    signal,
  );
  try {
    const detected = await inspectUntrusted(staged.path, req.format, signal);
    await ctx.qemuImg(
      convertArgs({
        source: staged.path,
        sourceFormat: detected.format,
        target,
        targetFormat: 'qcow2',
      }),
      'converting the image',
      signal,
      convertLimits,
    );
    return { sha256: staged.sha256, sourceFormat: detected.format };
  } finally {
    await unstage(staged);
  }
}

export async function importImage(
  ctx: FileContext,
  req: ImportImageRequest,
  signal?: AbortSignal,
): Promise<ImageInfo> {
  const uid = checkUid(req.image.uid);
  return ctx.locks.run(imageKey(uid), async () => {
    const existing = await inspectImage(ctx, req.image, signal);
    if (existing) return existing;
    await ctx.pool.check();
    const attempt = newAttempt();
    await cleanupPartials(ctx, attempt.startedAt, { uid, locked: true });
    const final = dataFile('Image', uid);
    const partial = partialName(final, attempt);
    const download = partialName(`${objectName('Image', uid)}.download`, attempt);
    let built: Built;
    try {
      built = await build(ctx, req, ctx.pool.path(partial), ctx.pool.path(download), signal);
      // Read-only: every clone reads through it, none may write it.
      await chmod(ctx.pool.path(partial), 0o444);
    } catch (err) {
      await ctx.pool.remove(partial);
      await ctx.pool.remove(download);
      throw err;
    }
    const { virtualSizeBytes } = await ctx.info(partial, signal);
    await ctx.pool.writeSidecar(
      sidecarFile('Image', uid),
      {
        kind: 'Image',
        owner: req.image,
        createdAt: attempt.startedAt.toISOString(),
        sizeBytes: virtualSizeBytes,
        sourceFormat: built.sourceFormat,
        sha256: built.sha256,
      },
      attempt,
    );
    await ctx.publish(partial, final);
    const info = await inspectImage(ctx, req.image, signal);
    if (!info) throw new StorageError('NotFound', `image ${req.image.name} vanished after import`);
    return info;
  });
}

export async function deleteImage(ctx: FileContext, image: OwnerRef): Promise<void> {
  const uid = checkUid(image.uid);
  await ctx.locks.run(imageKey(uid), async () => {
    const file = sidecarFile('Image', uid);
    const sidecar = await ctx.pool.readSidecar(file);
    // Moved aside by the orphan sweep: kept for a human, whatever happens to the owner.
    if (sidecar?.state === 'quarantined') return;
    if (sidecar && (await imageDependents(ctx, uid)).length > 0) {
      if (sidecar.state !== 'retired')
        await ctx.pool.writeSidecar(file, { ...sidecar, state: 'retired' });
      return;
    }
    await ctx.pool.remove(dataFile('Image', uid));
    await ctx.pool.remove(file);
    await ctx.pool.syncDir();
  });
}
