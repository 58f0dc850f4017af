// The Debian packages the demo guest is made of: its userland (busybox, dropbear, the QEMU guest
// agent and the libraries they load), the kernel package (for its modules), and the tools the
// boot disk is made with (syslinux and the mtools it drives). All are fetched as .debs into the
// shared download cache and unpacked into a folder of the build; nothing is installed on the
// machine and its apt sources are read as they are.
import path from 'node:path';
import { candidates, fetchDebs, resolvePackages, type Deb } from '../images/apt.ts';
import { extractDebs } from '../images/rootfs.ts';
import { repoRoot } from '../cluster/index.ts';
import { withPidLock } from '../cluster/pid-lock.ts';
import type { KernelPackage } from './kernel.ts';

/** The programs the guest runs; their libraries come from the closure. */
export const userlandRoots = ['busybox-static', 'dropbear-bin', 'qemu-guest-agent'];

/** syslinux installs the boot sector through mtools; syslinux-common has mbr.bin. */
export const diskToolRoots = ['syslinux', 'syslinux-common', 'mtools'];

/**
 * Packages whose files the guest never runs: maintainer-script tooling (perl, dpkg) and the
 * /usr merge helpers. Only programs and the libraries they load are copied out of the unpacked
 * packages, and each copied program is checked for every library it needs.
 */
const neverRun = (name: string) =>
  /perl/.test(name) ||
  ['dpkg', 'tar', 'usrmerge', 'usr-is-merged', 'init-system-helpers'].includes(name);

export const debCacheDir = path.join(repoRoot, '.local', 'cache', 'debs');
const cacheLock = path.join(repoRoot, '.local', 'cache', '.lock');

export interface DemoDebs {
  userland: Deb[];
  diskTools: Deb[];
  kernel: Deb;
}

/** The exact .debs the guest would be built from today. */
export async function resolveDemoDebs(kernel: KernelPackage): Promise<DemoDebs> {
  const userland = await resolvePackages(userlandRoots, { exclude: neverRun });
  const diskTools = await resolvePackages(diskToolRoots, { exclude: neverRun });
  const [kernelDeb] = await candidates([kernel.name]);
  if (kernelDeb?.version !== kernel.version) {
    throw new Error(
      `apt offers ${kernel.name} ${kernelDeb?.version ?? 'in no version'}, not ${kernel.version}: run apt-get update and build again`,
    );
  }
  return {
    userland: await candidates(userland.packages),
    diskTools: await candidates(diskTools.packages),
    kernel: kernelDeb,
  };
}

/** Fetches what the cache lacks (under the cache's lock, shared with hack/images). */
export function fetchCached(debs: Deb[], log: (line: string) => void): Promise<string[]> {
  return withPidLock(cacheLock, () => fetchDebs(debCacheDir, debs), {
    onWait: (pid) => {
      log(`waiting for pid ${String(pid)}, which is filling the cache ${debCacheDir}`);
    },
  });
}

/** Unpacks the .debs into `root` (no maintainer scripts run). */
export async function unpack(debs: Deb[], root: string, log: (line: string) => void) {
  await extractDebs(root, await fetchCached(debs, log));
}
