// The demo guest's userland, the whole of it in one initramfs: busybox (static; its init is
// PID 1), dropbear, the QEMU guest agent and the libraries those two load, the kernel modules
// the guest needs, and the scripts and configuration of hack/guest/demo-rootfs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from '../cluster/index.ts';
import { checkNeeded, findLibrary, readElfs, resolveInRoot } from '../images/elf.ts';
import { writeInitramfs } from './cpio.ts';
import { demoModules, resolveModules } from './kernel-modules.ts';

/** The guest's own files, copied as they are (scripts, inittab, users). */
export const demoRootfsDir = path.join(import.meta.dirname, 'demo-rootfs');

/** Programs taken from the unpacked packages, at the same paths in the guest. */
export const demoPrograms = ['/usr/sbin/dropbear', '/usr/sbin/qemu-ga'];

async function treeFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const child = path.posix.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await treeFiles(root, child)));
    else out.push(child);
  }
  return out;
}

/** A digest of hack/guest/demo-rootfs: names, contents. */
export async function demoRootfsDigest(): Promise<string> {
  const h = createHash('sha256');
  for (const f of await treeFiles(demoRootfsDir)) {
    h.update(`\0${f}\0`);
    h.update(await readFile(path.join(demoRootfsDir, f)));
  }
  return h.digest('hex');
}

/** Scripts are executable; the shadow file is root's alone. */
async function modeFor(file: string, rel: string): Promise<number> {
  if (rel === 'etc/shadow') return 0o600;
  const head = (await readFile(file)).subarray(0, 2).toString();
  return head === '#!' ? 0o755 : 0o644;
}

/**
 * The libraries `programs` (paths inside `unpacked`) load, with those libraries' own, as
 * [where the loader looks in the guest, the real file in `unpacked`].
 */
async function libraryClosure(unpacked: string, programs: string[]): Promise<Map<string, string>> {
  const placed = new Map<string, string>();
  let pending = programs;
  const seen = new Set<string>();
  while (pending.length > 0) {
    const infos = await readElfs(
      unpacked,
      pending.map((p) => `.${p}`),
    );
    pending = [];
    for (const elf of infos) {
      const wanted = [...(elf.interpreter ? [elf.interpreter] : []), ...elf.needed];
      for (const lib of wanted) {
        const found = findLibrary(unpacked, elf, lib);
        if (found === undefined) throw new Error(`${elf.file} needs ${lib}, which no package has`);
        const real = resolveInRoot(unpacked, found) ?? found;
        // The interpreter goes where the program names it; others where the loader searches.
        const at = lib.includes('/') ? lib : path.posix.join('/usr/lib/x86_64-linux-gnu', lib);
        placed.set(at, real);
        if (!seen.has(real)) {
          seen.add(real);
          pending.push(real);
        }
      }
    }
  }
  return placed;
}

async function place(from: string, to: string, mode: number): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  await copyFile(from, to);
  await chmod(to, mode);
}

export interface DemoRootInputs {
  /** The unpacked userland and kernel packages. */
  unpacked: string;
  release: string;
}

/** Assembles the guest's root in `root` (an empty folder) and writes it as `dest`. */
export async function buildDemoInitramfs(
  inputs: DemoRootInputs,
  root: string,
  dest: string,
): Promise<{ modules: string[] }> {
  const { unpacked, release } = inputs;
  for (const dir of ['dev', 'proc', 'sys', 'run', 'tmp', 'root', 'var/log', 'srv', 'mnt']) {
    await mkdir(path.join(root, dir), { recursive: true });
  }
  await symlink('/run', path.join(root, 'var', 'run'));

  // busybox: every applet a link to it, the kernel's /init included (busybox init as PID 1).
  const busybox = path.join(unpacked, 'bin', 'busybox');
  await place(busybox, path.join(root, 'bin', 'busybox'), 0o755);
  const applets = (await toolOutput(busybox, ['--list-full'])).split('\n').filter(Boolean);
  for (const f of await treeFiles(demoRootfsDir)) {
    const from = path.join(demoRootfsDir, f);
    await place(from, path.join(root, f), await modeFor(from, f));
  }
  for (const applet of applets) {
    const at = path.join(root, applet);
    if (applet === 'bin/busybox') continue;
    // A script of our own (chpasswd, shutdown) takes the name before busybox does.
    if (existsSync(at)) continue;
    await mkdir(path.dirname(at), { recursive: true });
    await symlink('/bin/busybox', at);
  }
  await symlink('/bin/busybox', path.join(root, 'init'));

  for (const program of demoPrograms) {
    await place(path.join(unpacked, program), path.join(root, program), 0o755);
  }
  for (const [at, real] of await libraryClosure(unpacked, demoPrograms)) {
    await place(path.join(unpacked, real), path.join(root, at), 0o755);
  }
  await checkNeeded(root, { dirs: ['/usr/sbin', '/usr/lib', '/lib64'] });

  const modules = await resolveModules(unpacked, release, demoModules);
  const inGuest: string[] = [];
  for (const file of modules) {
    const rel = path.relative(unpacked, file);
    await place(file, path.join(root, rel), 0o644);
    inGuest.push(`/${rel}`);
  }
  await writeFile(path.join(root, 'etc', 'kcloud', 'modules'), inGuest.join('\n') + '\n');

  await writeInitramfs(root, dest);
  return { modules: inGuest };
}
