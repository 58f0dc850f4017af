import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { toolOutput } from '../cluster/run-tool.ts';

/** One regular file of an image's single layer. */
export interface ImageFile {
  path: string;
  mode: number;
  content: Buffer;
}

export interface ImageSpec {
  /** A reference with a domain of its own (kcloud.local/...), so it never names a registry image. */
  ref: string;
  files: ImageFile[];
  entrypoint: string[];
  cmd?: string[];
}

/** A ustar header block; names stay under 100 bytes, so no prefix or pax records are needed. */
function tarHeader(name: string, mode: number, size: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(name) > 99) throw new Error(`tar entry name too long: ${name}`);
  const block = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => {
    block.write(value, offset, length, 'ascii');
  };
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0');
  field(0, 100, name);
  field(100, 8, octal(mode, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(size, 12));
  // A fixed mtime keeps the layer's digest a function of its content alone.
  field(136, 12, octal(0, 12));
  block.fill(' ', 148, 156);
  field(156, 1, type);
  field(257, 6, 'ustar');
  field(263, 2, '00');
  field(265, 32, 'root');
  field(297, 32, 'root');
  let sum = 0;
  for (const byte of block) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** A tar archive of regular files and the directories above them. */
export function tarArchive(files: ImageFile[]): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const file of files) {
    const segments = file.path.split('/').slice(0, -1);
    for (let i = 1; i <= segments.length; i++) {
      const dir = `${segments.slice(0, i).join('/')}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      parts.push(tarHeader(dir, 0o755, 0, '5'));
    }
    parts.push(tarHeader(file.path, file.mode, file.content.length, '0'), file.content);
    const pad = (512 - (file.content.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** How a one-layer image runs. */
export interface RunConfig {
  entrypoint: string[];
  cmd?: string[];
  env: string[];
  workingDir: string;
}

/**
 * The parts of a docker-archive (what `docker save` writes) besides the layers: the image config
 * (its sha256 names it and is the image ID; it holds no tag) and manifest.json naming the ref.
 * Layers are listed bottom first. Times are fixed so the digests depend on the content alone.
 */
export function archiveMetadata(
  ref: string,
  layerDigests: string | readonly string[],
  run: RunConfig,
  createdBy: string,
): {
  config: string;
  configName: string;
  layerName: string;
  layerNames: string[];
  manifest: string;
} {
  const digests = typeof layerDigests === 'string' ? [layerDigests] : [...layerDigests];
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '1970-01-01T00:00:00Z',
    config: {
      Entrypoint: run.entrypoint,
      ...(run.cmd ? { Cmd: run.cmd } : {}),
      Env: run.env,
      WorkingDir: run.workingDir,
    },
    rootfs: { type: 'layers', diff_ids: digests.map((d) => `sha256:${d}`) },
    history: digests.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: createdBy })),
  });
  const configName = `${sha256(config)}.json`;
  const layerNames = digests.map((d) => `${d}/layer.tar`);
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: layerNames }]);
  return { config, configName, layerName: layerNames[0] ?? '', layerNames, manifest };
}

/**
 * A docker-archive of a one-layer image, in memory: `ctr images import` reads it, so images are
 * made here from binaries built here and no registry is involved.
 */
export function dockerArchive(spec: ImageSpec): Buffer {
  const layer = tarArchive(spec.files);
  const { config, configName, layerName, manifest } = archiveMetadata(
    spec.ref,
    sha256(layer),
    {
      entrypoint: spec.entrypoint,
      ...(spec.cmd ? { cmd: spec.cmd } : {}),
      env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
      workingDir: '/',
    },
    'kcloud hack/node/image.ts',
  );
  return tarArchive([
    { path: configName, mode: 0o644, content: Buffer.from(config) },
    { path: layerName, mode: 0o644, content: layer },
    { path: 'manifest.json', mode: 0o644, content: Buffer.from(manifest) },
  ]);
}

/**
 * Builds a stdlib-only Go program into a static binary (no cgo: the image has no libc).
 * The Go build cache makes a rebuild of an unchanged program take about a second.
 */
export async function buildStaticGo(source: string, out: string): Promise<void> {
  await toolOutput('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', out, source], {
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
    label: `go build ${source}`,
    missingHint: 'run `make setup`',
  });
}

/** Writes a one-binary image's archive; the binary becomes /<name> and the entrypoint. */
export async function writeBinaryImage(
  ref: string,
  binaryPath: string,
  name: string,
  archive: string,
  cmd?: string[],
): Promise<void> {
  const content = await readFile(binaryPath);
  await writeFile(
    archive,
    dockerArchive({
      ref,
      files: [{ path: name, mode: 0o755, content }],
      entrypoint: [`/${name}`],
      ...(cmd ? { cmd } : {}),
    }),
  );
}
