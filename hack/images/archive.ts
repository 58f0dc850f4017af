// A docker-archive (manifest.json + config + layer tars, what `ctr images import` and
// `skopeo copy docker-archive:` read) of an image whose layers are staged root filesystems.
// hack/node/image.ts writes the same format for tiny images in memory; root filesystems are
// hundreds of MB, so here GNU tar writes them from disk and they are hashed as a stream.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { toolOutput } from '../cluster/run-tool.ts';
import { archiveMetadata, type RunConfig } from '../node/image.ts';

/**
 * Everything that could differ between two builds of the same files is fixed: entry order,
 * times, owners (by number only), and the format (GNU, so no pax headers with access times).
 */
const deterministic = [
  '--format=gnu',
  '--sort=name',
  '--mtime=@0',
  '--owner=0',
  '--group=0',
  '--numeric-owner',
  '--no-acls',
  '--no-xattrs',
  '--no-selinux',
];

async function tar(args: string[]): Promise<void> {
  await toolOutput('tar', args, { missingHint: 'GNU tar is needed' });
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export interface Layer {
  file: string;
  /** sha256 of the uncompressed tar, hex: the image config's diff_id and the archive's name for it. */
  digest: string;
  bytes: number;
}

/** Writes `root`'s contents (symlinks kept as symlinks) as a layer tar at `file`. */
export async function writeLayer(root: string, file: string): Promise<Layer> {
  const entries = (await readdir(root)).sort();
  await tar(['--create', `--file=${file}`, ...deterministic, '-C', root, '--', ...entries]);
  await chmod(file, 0o644);
  return { file, digest: await sha256File(file), bytes: (await stat(file)).size };
}

export type ImageConfig = Omit<RunConfig, 'cmd'>;

/**
 * Writes the docker-archive `out` of `layers` (bottom first), through a temporary name so a
 * stopped build leaves none.
 */
export async function writeArchive(
  ref: string,
  layers: readonly Layer[],
  config: ImageConfig,
  out: string,
): Promise<number> {
  const work = await mkdtemp(path.join(path.dirname(out), '.archive-'));
  try {
    const {
      config: json,
      configName,
      layerNames,
      manifest,
    } = archiveMetadata(
      ref,
      layers.map((l) => l.digest),
      config,
      'kcloud hack/images',
    );
    for (const [i, layer] of layers.entries()) {
      await mkdir(path.join(work, layer.digest));
      const name = path.join(work, layerNames[i] ?? '');
      await link(layer.file, name).catch(() => copyFile(layer.file, name));
    }
    await writeFile(path.join(work, configName), json);
    await writeFile(path.join(work, 'manifest.json'), manifest);
    const partial = `${out}.partial`;
    await tar([
      '--create',
      `--file=${partial}`,
      ...deterministic,
      '-C',
      work,
      '--',
      'manifest.json',
      configName,
      ...layers.map((l) => l.digest),
    ]);
    await rename(partial, out);
    return (await stat(out)).size;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
