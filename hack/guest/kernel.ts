// The guest kernel: Debian bookworm's stock amd64 kernel, the version the archive serves today
// (linux-image-amd64 names it), fetched as a package with apt-get download and unpacked for its
// vmlinuz alone. The machine's apt sources and lists are read as they are, never changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { runTool, toolOutput } from '../cluster/index.ts';

export const kernelMetaPackage = 'linux-image-amd64';

export interface KernelPackage {
  /** linux-image-<release> */
  name: string;
  version: string;
  /** What `uname -r` says in the guest, and the suffix of /boot/vmlinuz-<release>. */
  release: string;
}

/** The versioned package a `apt-cache depends linux-image-amd64` names. */
export function parseDependsOutput(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^\s*Depends:\s*(linux-image-\S+)\s*$/.exec(line);
    if (m?.[1] !== undefined && !m[1].startsWith('<')) return m[1];
  }
  return undefined;
}

/** The Version field of `apt-cache show --no-all-versions` (the candidate's stanza). */
export function parseShowVersion(text: string): string | undefined {
  return /^Version:\s*(\S+)\s*$/m.exec(text)?.[1];
}

export function kernelRelease(packageName: string): string {
  const release = packageName.replace(/^linux-image-/, '');
  if (release === packageName || !/^[0-9][A-Za-z0-9.+~-]*$/.test(release)) {
    throw new Error(`${packageName} does not look like a versioned linux-image package`);
  }
  return release;
}

/** The description the probe result is keyed by: the package and its Debian version. */
export function kernelVersionLabel(pkg: KernelPackage): string {
  return `${pkg.name} ${pkg.version}`;
}

const aptHint = 'install apt (the guest kernel comes from the Debian archive)';

export async function resolveKernelPackage(): Promise<KernelPackage> {
  const depends = await runTool('apt-cache', [
    'depends',
    '--no-recommends',
    '--no-suggests',
    kernelMetaPackage,
  ]);
  if (depends.missing) throw new Error(`apt-cache is not installed: ${aptHint}`);
  const name = depends.code === 0 ? parseDependsOutput(depends.stdout) : undefined;
  if (name === undefined) {
    throw new Error(
      `apt knows no ${kernelMetaPackage} (${(depends.stderr || depends.stdout).trim() || 'no Depends line'}): ` +
        `the machine's apt lists may be empty; run apt-get update`,
    );
  }
  const show = await toolOutput('apt-cache', ['show', '--no-all-versions', name], {
    missingHint: aptHint,
  });
  const version = parseShowVersion(show);
  if (version === undefined) throw new Error(`apt-cache show ${name} gave no Version`);
  return { name, version, release: kernelRelease(name) };
}

/** Downloads the package into `dir` and returns the .deb's path. */
async function download(pkg: KernelPackage, dir: string): Promise<string> {
  // Run as root, apt downloads as its user _apt, which cannot write into a private folder.
  const asRoot = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
  await toolOutput('apt-get', [...asRoot, '-qq', 'download', `${pkg.name}=${pkg.version}`], {
    cwd: dir,
    label: `apt-get download ${pkg.name}=${pkg.version}`,
    // The archive replaces a kernel package when a newer one lands; stale lists name the old.
    failureHint: 'if the archive no longer has this version, run apt-get update and build again',
    killAfterMs: 10 * 60_000,
  });
  const debs = (await readdir(dir)).filter((f) => f.endsWith('.deb'));
  if (debs.length !== 1 || debs[0] === undefined) {
    throw new Error(
      `apt-get download ${pkg.name} left ${String(debs.length)} .deb files in ${dir}`,
    );
  }
  return path.join(dir, debs[0]);
}

/** Unpacks ./boot/vmlinuz-<release> alone (the package's modules are not needed). */
async function unpackVmlinuz(deb: string, release: string, into: string): Promise<string> {
  const member = `./boot/vmlinuz-${release}`;
  const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tar = spawn('tar', ['-x', '-C', into, member], { stdio: ['pipe', 'ignore', 'pipe'] });
  dpkg.stdout.pipe(tar.stdin);
  let errors = '';
  dpkg.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  tar.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const failed = (p: ChildProcess, name: string) =>
    once(p, 'error').then(([err]: unknown[]) => {
      throw new Error(`${name} could not run (${(err as Error).message}): install dpkg and tar`);
    });
  const [[dpkgCode], [tarCode]] = (await Promise.race([
    Promise.all([once(dpkg, 'close'), once(tar, 'close')]),
    failed(dpkg, 'dpkg-deb'),
    failed(tar, 'tar'),
  ])) as [[number | null], [number | null]];
  if (dpkgCode !== 0 || tarCode !== 0) {
    throw new Error(`unpacking ${member} from ${path.basename(deb)} failed: ${errors.trim()}`);
  }
  return path.join(into, 'boot', `vmlinuz-${release}`);
}

/**
 * Fetches the package and puts its kernel at `dest`. Everything transient lives in a
 * temporary folder inside `workDir` that is removed whatever happens.
 */
export async function fetchKernel(
  pkg: KernelPackage,
  workDir: string,
  dest: string,
): Promise<void> {
  await mkdir(workDir, { recursive: true });
  const tmp = await mkdtemp(path.join(workDir, '.kernel-'));
  try {
    const deb = await download(pkg, tmp);
    const vmlinuz = await unpackVmlinuz(deb, pkg.release, tmp);
    await rename(vmlinuz, dest);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
