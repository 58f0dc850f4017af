import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { StorageError } from '../errors.ts';
import { stageSource, unstage } from '../image-source.ts';
import { imageKey, volumeKey } from '../keyed-lock.ts';
import { checkUid, newAttempt, objectName, partialName } from '../naming.ts';
import { convertArgs } from '../qemu-img.ts';
import { qemuRbdFilename, rbdArgs } from './rbd-cli.ts';
import type { ImageInfo, ImportImageRequest, OwnerRef } from '../storage-backend.ts';
import { convertLimits, inspectUntrusted, limitedCommand } from '../untrusted-image.ts';
import { run, toStorageError } from '../exec.ts';
import type { RbdContext } from './rbd-context.ts';
import {
  baseSnapshot,
  clearLeftovers,
  dropPartial,
  imageMetaKey,
  ownerKey,
  ownerRecord,
  readOwner,
} from './rbd-objects.ts';

/**
 * Images of an RBD pool: raw RBD images with a protected snapshot `base` that volumes are
 * cloned from. Deleting an image flattens its clones first (they keep their data). Untrusted
 * bytes are checked and converted to raw on the host under resource limits before they reach
 * Ceph: the qemu-img that reads them never holds the pool's credentials.
 */

export async function inspectImage(
  ctx: RbdContext,
  image: OwnerRef,
  signal?: AbortSignal,
): Promise<ImageInfo | undefined> {
  const name = objectName('Image', checkUid(image.uid));
  const info = await ctx.info(name, signal);
  if (!info) return undefined;
  const meta = await ctx.meta(name, signal);
  let extra: { sha256?: string; sourceFormat?: 'qcow2' | 'raw' } = {};
  try {
    extra = JSON.parse(meta[imageMetaKey] ?? '{}') as typeof extra;
  } catch {
    // An image-meta someone edited by hand: report what is known.
  }
  return {
    owner: readOwner(meta) ?? image,
    id: name,
    virtualSizeBytes: info.sizeBytes,
    sourceFormat: extra.sourceFormat ?? 'raw',
    sha256: extra.sha256 ?? '',
  };
}

/** sha256 of an image's data, streamed out of the pool with `rbd export`. */
async function exportSha256(ctx: RbdContext, image: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const child = spawn('rbd', rbdArgs(ctx.conn, ['export', '--no-progress', ctx.spec(image), '-']), {
    stdio: ['ignore', 'pipe', 'pipe'],
    signal,
    killSignal: 'SIGKILL',
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((err: unknown) => {
    throw toStorageError(err, `reading ${image}`);
  });
  if (code !== 0)
    throw new StorageError('BackendFailed', `rbd export of ${image} failed: ${stderr.trim()}`);
  return hash.digest('hex');
}

interface Built {
  sha256: string;
  sourceFormat: 'qcow2' | 'raw';
}

async function build(
  ctx: RbdContext,
  req: ImportImageRequest,
  target: string,
  staging: { download: string; raw: string },
  signal?: AbortSignal,
): Promise<Built> {
  const source = req.source;
  if (source.kind === 'Volume') {
    if (req.format && req.format !== 'raw') {
      throw new StorageError('FormatMismatch', `volumes of an RBD pool are raw, not ${req.format}`);
    }
    const volume = objectName('Volume', checkUid(source.volume.uid));
    await ctx.locks.run(volumeKey(source.volume.uid), async () => {
      if (!(await ctx.info(volume, signal))) {
        throw new StorageError(
          'NotFound',
          `volume ${source.volume.namespace}/${source.volume.name} is not in RBD pool ${ctx.conn.pool}`,
        );
      }
      await ctx.rbd(
        ['cp', ctx.spec(volume), ctx.spec(target)],
        'copying the volume into an image',
        signal,
      );
    });
    const sha256 = await exportSha256(ctx, target, signal);
    if (req.sha256 && req.sha256.toLowerCase() !== sha256) {
      throw new StorageError(
        'ChecksumMismatch',
        `the image made from the volume has sha256 ${sha256}, not ${req.sha256}`,
      );
    }
    return { sha256, sourceFormat: 'raw' };
  }
  const staged = await stageSource(
    source,
    { downloadTo: staging.download, importRoots: ctx.importRoots, sha256: req.sha256 },
    signal,
  );
  try {
    const detected = await inspectUntrusted(staged.path, req.format, signal);
    let raw = staged.path;
    if (detected.format !== 'raw') {
      const [cmd, args] = limitedCommand(
        convertLimits,
        'qemu-img',
        convertArgs({
          source: staged.path,
          sourceFormat: detected.format,
          target: staging.raw,
          targetFormat: 'raw',
        }),
      );
      try {
        await run(cmd, args, { signal });
      } catch (err) {
        throw toStorageError(err, 'converting the image');
      }
      raw = staging.raw;
    }
    // Raw into the pool through QEMU's rbd driver: qemu-img asks the file where its data is
    // (holes are never read) and writes only that; the raw driver parses nothing untrusted.
    await ctx.qemuImg(
      convertArgs({
        source: raw,
        sourceFormat: 'raw',
        target: qemuRbdFilename(ctx.conn, target),
        targetFormat: 'raw',
      }),
      'writing the image into the pool',
      signal,
    );
    return { sha256: staged.sha256, sourceFormat: detected.format };
  } finally {
    await unstage(staged);
    await rm(staging.raw, { force: true });
  }
}

export async function importImage(
  ctx: RbdContext,
  req: ImportImageRequest,
  signal?: AbortSignal,
): Promise<ImageInfo> {
  const uid = checkUid(req.image.uid);
  return ctx.locks.run(imageKey(uid), async () => {
    const existing = await inspectImage(ctx, req.image, signal);
    if (existing) return existing;
    const attempt = newAttempt();
    await clearLeftovers(ctx, uid, attempt, signal);
    const final = objectName('Image', uid);
    const partial = partialName(final, attempt);
    const staging = {
      download: path.join(ctx.stagingDir, partialName(`${final}.download`, attempt)),
      raw: path.join(ctx.stagingDir, partialName(`${final}.raw`, attempt)),
    };
    try {
      const built = await build(ctx, req, partial, staging, signal);
      await ctx.rbd(
        ['snap', 'create', ctx.spec(partial, baseSnapshot)],
        'snapshotting the image',
        signal,
      );
      await ctx.rbd(
        ['snap', 'protect', ctx.spec(partial, baseSnapshot)],
        'protecting the image',
        signal,
      );
      await ctx.setMeta(partial, imageMetaKey, JSON.stringify(built), signal);
      await ctx.setMeta(partial, ownerKey, ownerRecord('Image', req.image), signal);
      if (!(await ctx.rename(partial, final, signal))) await ctx.removeImage(partial);
    } catch (err) {
      await dropPartial(ctx, uid, partial);
      throw err;
    }
    const info = await inspectImage(ctx, req.image, signal);
    if (!info) throw new StorageError('NotFound', `image ${req.image.name} vanished after import`);
    return info;
  });
}

/** Flattens the image's clones (they keep their data), then removes it. */
export async function deleteImage(
  ctx: RbdContext,
  image: OwnerRef,
  signal?: AbortSignal,
): Promise<void> {
  const uid = checkUid(image.uid);
  const name = objectName('Image', uid);
  await ctx.locks.run(imageKey(uid), async () => {
    ctx.forgetImage(name);
    await ctx.removeImage(name, signal);
  });
}
