// Writes a NoCloud seed image: a FAT filesystem labelled CIDATA holding meta-data and
// user-data, made with mtools (mformat, mcopy) from Debian's mtools package. No mount and no
// root; every tool runs from an argument array, never a shell, and the files it copies are
// ours (their names fixed, their contents checked and quoted by seedFiles). The image appears
// at its path whole or not at all: it is built under a temporary name beside it and renamed.
import { execFile } from 'node:child_process';
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { SeedError } from './seed-error.ts';
import { seedFiles, type SeedFiles, type SeedSpec } from './seed-files.ts';

const run = promisify(execFile);

/** mformat's geometry: 64 heads of 32 sectors, so a size is a whole number of MiB. */
const sectorsPerMiB = 2048;

function fileList(files: SeedFiles): [string, string][] {
  return [
    ['meta-data', files['meta-data']],
    ['user-data', files['user-data']],
  ];
}

/** The FAT's size for these files: a MiB at least, and room for FAT's tables and clusters. */
export function seedSizeMiB(files: SeedFiles): number {
  const bytes = fileList(files).reduce((n, [, text]) => n + Buffer.byteLength(text), 0);
  return Math.max(1, Math.ceil((bytes * 1.1 + 128 * 1024) / 2 ** 20));
}

async function mtools(tool: string, args: string[]): Promise<void> {
  try {
    // No configuration of the machine or the user changes what is written.
    await run(tool, args, {
      env: { ...process.env, MTOOLSRC: '/dev/null', MTOOLS_SKIP_CHECK: '1' },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new SeedError(`${tool} is not installed on this host: install Debian mtools`, {
        cause: err,
      });
    }
    throw new Error(`${tool} ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

export interface WrittenSeed {
  file: string;
  bytes: number;
}

/** Writes the seed for `spec` at `file` (its folder must exist); replaces an older one whole. */
export async function writeSeed(file: string, spec: SeedSpec): Promise<WrittenSeed> {
  const files = seedFiles(spec);
  const tmp = await mkdtemp(path.join(path.dirname(file), `.${path.basename(file)}-`));
  try {
    const image = path.join(tmp, 'seed.img');
    const sectors = seedSizeMiB(files) * sectorsPerMiB;
    await mtools('mformat', [
      '-i',
      image,
      '-C',
      '-T',
      String(sectors),
      '-h',
      '64',
      '-s',
      '32',
      '-v',
      'CIDATA',
      '::',
    ]);
    for (const [name, text] of fileList(files)) {
      const source = path.join(tmp, name);
      await writeFile(source, text, { mode: 0o600 });
      await mtools('mcopy', ['-i', image, '-D', 'o', source, `::${name}`]);
    }
    await rename(image, file);
    return { file, bytes: (await stat(file)).size };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
