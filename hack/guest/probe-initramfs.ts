// The probe initramfs: busybox (with the shared libraries it needs, when it is not static) and
// an /init that prints the marker on the console and powers off at once. A kernel that runs it
// has booted all the way to user space; nothing else is in it, so it boots in a blink.
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool } from '../cluster/index.ts';
import { writeInitramfs } from './cpio.ts';

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

    await writeInitramfs(root, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
