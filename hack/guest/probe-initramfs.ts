// The probe initramfs: busybox (with the shared libraries it needs, when it is not static) and
// an /init that prints the marker on the console and powers off at once. A kernel that runs it
// has booted all the way to user space; nothing else is in it, so it boots in a blink.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { runTool } from '../cluster/index.ts';

/** Printed by the probe guest's init: the kernel never prints it, nor echoes it (not in the command line). */
export const probeMarker = 'kcloud-probe-guest: init reached';

export function probeInitScript(marker: string): string {
  return [
    '#!/bin/busybox sh',
    `/bin/busybox echo '${marker}'`,
    '/bin/busybox poweroff -f',
    '',
  ].join('\n');
}

/** The absolute paths of the shared objects `ldd` lists; none for a static binary. */
export function parseLddOutput(text: string): string[] {
  const libs: string[] = [];
  for (const line of text.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1] !== undefined) libs.push(m[1]);
  }
  return libs;
}

export async function findBusybox(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/bin'])) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'busybox');
    const r = await runTool(candidate, ['true']);
    if (!r.missing && r.code === 0) return candidate;
  }
  throw new Error(
    'busybox is not installed: install Debian busybox (or busybox-static), or run make setup',
  );
}

export async function sharedLibraries(binary: string): Promise<string[]> {
  const r = await runTool('ldd', [binary]);
  if (r.missing) throw new Error('ldd is not installed: install Debian libc-bin');
  // ldd exits 1 with "not a dynamic executable" for a static binary.
  if (r.code !== 0) {
    if (/not a dynamic executable/.test(r.stdout + r.stderr)) return [];
    throw new Error(`ldd ${binary} failed: ${(r.stderr || r.stdout).trim()}`);
  }
  return parseLddOutput(r.stdout);
}

export interface InitramfsInputs {
  busybox: string;
  libraries: string[];
  marker: string;
}

/** A digest of everything the image is made of: the same digest, the same image. */
export async function initramfsDigest(inputs: InitramfsInputs): Promise<string> {
  const h = createHash('sha256');
  h.update(probeInitScript(inputs.marker));
  for (const file of [inputs.busybox, ...inputs.libraries]) {
    h.update(`\0${file}\0`);
    h.update(await readFile(file));
  }
  return h.digest('hex');
}

async function listTree(root: string, rel = '.'): Promise<string[]> {
  const out = [rel];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await listTree(root, child)));
    else out.push(child);
  }
  return out;
}

/** Builds a gzip'd newc cpio archive at `dest` (written under a temporary name, then renamed). */
export async function buildProbeInitramfs(
  inputs: InitramfsInputs,
  workDir: string,
  dest: string,
): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const tmp = await mkdtemp(path.join(workDir, '.initramfs-'));
  try {
    const root = path.join(tmp, 'root');
    await mkdir(path.join(root, 'bin'), { recursive: true });
    await copyFile(inputs.busybox, path.join(root, 'bin', 'busybox'));
    await chmod(path.join(root, 'bin', 'busybox'), 0o755);
    for (const lib of inputs.libraries) {
      // At the path the binary's loader looks for it; copyFile follows symlinks.
      await mkdir(path.join(root, path.dirname(lib)), { recursive: true });
      await copyFile(lib, path.join(root, lib));
    }
    // The kernel needs /dev/console for init's output before any devtmpfs is mounted; it
    // creates it itself only when the archive's /dev exists.
    await mkdir(path.join(root, 'dev'));
    await writeFile(path.join(root, 'init'), probeInitScript(inputs.marker), { mode: 0o755 });

    const files = (await listTree(root)).sort();
    const partial = path.join(tmp, 'initramfs.cpio.gz');
    const cpio = spawn('cpio', ['-o', '-H', 'newc', '--quiet', '-R', '0:0'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    cpio.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const spawned = once(cpio, 'spawn').catch((err: unknown) => {
      throw new Error(
        `cpio could not run (${(err as Error).message}): install Debian cpio, or run make setup`,
      );
    });
    await spawned;
    cpio.stdin.end(files.join('\n') + '\n');
    const closed = once(cpio, 'close');
    await pipeline(cpio.stdout, createGzip({ level: 9 }), createWriteStream(partial));
    const [code] = (await closed) as [number | null];
    if (code !== 0) throw new Error(`cpio failed: ${stderr.trim()}`);
    await rename(partial, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
