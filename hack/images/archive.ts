// A docker-archive (manifest.json + config + layer.tar, what `ctr images import` and
// `skopeo copy docker-archive:` read) of a one-layer image whose layer is a staged root filesystem.
// hack/node/image.ts writes the same format for tiny images in memory; root filesystems are
// hundreds of MB, so here GNU tar writes them from disk and they are hashed as a stream.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

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
  try {
    await run('tar', args, { maxBuffer: 16 * 2 ** 20 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('GNU tar is not installed', { cause: err });
    throw new Error(`tar ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
  }
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

export interface ImageConfig {
  entrypoint: string[];
  env: string[];
  workingDir: string;
}

/** The image config (its sha256 is the image ID); it holds no tag, so retagging keeps the ID. */
export function configJson(layer: Layer, config: ImageConfig): string {
  return JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: { Entrypoint: config.entrypoint, Env: config.env, WorkingDir: config.workingDir },
    rootfs: { type: 'layers', diff_ids: [`sha256:${layer.digest}`] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'kcloud hack/images' }],
  });
}

/** Writes the docker-archive `out` (through a temporary name, so a stopped build leaves none). */
export async function writeArchive(
  ref: string,
  layer: Layer,
  config: ImageConfig,
  out: string,
): Promise<number> {
  const work = await mkdtemp(path.join(path.dirname(out), '.archive-'));
  try {
    const json = configJson(layer, config);
    const configName = `${createHash('sha256').update(json).digest('hex')}.json`;
    const layerName = `${layer.digest}/layer.tar`;
    await mkdir(path.join(work, layer.digest));
    await link(layer.file, path.join(work, layerName)).catch(() =>
      copyFile(layer.file, path.join(work, layerName)),
    );
    await writeFile(path.join(work, configName), json);
    await writeFile(
      path.join(work, 'manifest.json'),
      JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: [layerName] }]),
    );
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
      layer.digest,
    ]);
    await rename(partial, out);
    return (await stat(out)).size;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
