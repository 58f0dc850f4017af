// An initramfs archive: a folder written as a gzip'd newc cpio archive, every file owned by
// root, entries in name order.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

async function listTree(root: string, rel = '.'): Promise<string[]> {
  const out = [rel];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await listTree(root, child)));
    else out.push(child);
  }
  return out;
}

/** Writes `root` as a .cpio.gz at `dest` (through `dest`.partial, so a stopped build leaves none). */
export async function writeInitramfs(root: string, dest: string): Promise<void> {
  const files = (await listTree(root)).sort();
  const partial = `${dest}.partial`;
  const cpio = spawn('cpio', ['-o', '-H', 'newc', '--quiet', '-R', '0:0'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  cpio.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await once(cpio, 'spawn').catch((err: unknown) => {
    throw new Error(
      `cpio could not run (${(err as Error).message}): install Debian cpio, or run make setup`,
    );
  });
  cpio.stdin.end(files.join('\n') + '\n');
  const closed = once(cpio, 'close');
  await pipeline(cpio.stdout, createGzip({ level: 9 }), createWriteStream(partial));
  const [code] = (await closed) as [number | null];
  if (code !== 0) throw new Error(`cpio failed: ${stderr.trim()}`);
  await rename(partial, dest);
}
