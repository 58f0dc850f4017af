// A root filesystem staged in a folder from .debs, without a container engine and without running
// any package's maintainer scripts: the files dpkg would unpack, the /usr merge Debian 12 expects,
// and the few files of /etc that base-passwd and friends would otherwise make at install time.
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from '../cluster/run-tool.ts';

/** Unpacks each .deb's files into `root`, as `dpkg --unpack` would, but runs none of its scripts. */
export async function extractDebs(root: string, debs: string[]): Promise<void> {
  await mkdir(root, { recursive: true });
  for (const deb of debs) {
    await toolOutput('dpkg-deb', ['-x', deb, root]);
  }
}

async function sameEntry(a: string, b: string): Promise<boolean> {
  const [sa, sb] = [await lstat(a), await lstat(b)];
  if (sa.isSymbolicLink() && sb.isSymbolicLink()) {
    return (await readlink(a)) === (await readlink(b));
  }
  if (sa.isFile() && sb.isFile()) return (await readFile(a)).equals(await readFile(b));
  return false;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Moves everything in `from` into `to`; a name in both must be a folder or the same file. */
async function mergeInto(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of (await readdir(from)).sort()) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    if (!(await exists(dst))) {
      await rename(src, dst);
      continue;
    }
    const [s, d] = [await lstat(src), await lstat(dst)];
    if (s.isDirectory() && d.isDirectory()) await mergeInto(src, dst);
    else if (await sameEntry(src, dst)) await rm(src);
    else throw new Error(`/usr merge: ${src} and ${dst} are different files`);
  }
  await rmdir(from);
}

/**
 * Debian 12 packages still ship some files under /bin, /sbin and /lib, and expect those to be
 * symlinks into /usr (as the usrmerge package leaves them); the loader's own path,
 * /lib64/ld-linux-x86-64.so.2, resolves only through them.
 */
export async function mergeUsr(root: string): Promise<void> {
  for (const dir of ['bin', 'sbin', 'lib', 'lib64']) {
    const top = path.join(root, dir);
    const usr = path.join(root, 'usr', dir);
    await mkdir(usr, { recursive: true });
    if (await exists(top)) {
      if ((await lstat(top)).isSymbolicLink()) await rm(top);
      else await mergeInto(top, usr);
    }
    await symlink(`usr/${dir}`, top);
  }
}

/**
 * Documentation is dead weight in an image, apart from each package's copyright file, which
 * goes wherever its binaries go.
 */
export async function pruneDocs(root: string): Promise<void> {
  for (const dir of ['man', 'info', 'locale', 'lintian', 'bug']) {
    await rm(path.join(root, 'usr', 'share', dir), { recursive: true, force: true });
  }
  const docs = path.join(root, 'usr', 'share', 'doc');
  let packages: string[];
  try {
    packages = await readdir(docs);
  } catch {
    return;
  }
  for (const pkg of packages) {
    const dir = path.join(docs, pkg);
    if (!(await lstat(dir)).isDirectory()) continue;
    for (const entry of await readdir(dir)) {
      if (entry !== 'copyright') await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

async function folder(root: string, dir: string, mode: number): Promise<void> {
  const full = path.join(root, dir);
  if (await exists(full)) return;
  await mkdir(full, { recursive: true });
  // mkdir's mode passes through the umask and drops the sticky bit.
  await chmod(full, mode);
}

/** The two users every image knows: root, and 65532 for containers that run as non-root. */
export const passwd =
  'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/nonexistent:/usr/sbin/nologin\n';
export const group = 'root:x:0:\nnonroot:x:65532:\n';
/** Without it glibc asks DNS before /etc/hosts; files first, as Debian has it. */
const nsswitch = 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n';

/** The users, /tmp and the other folders an image expects, made only where packages made none. */
export async function addSkeleton(root: string): Promise<void> {
  for (const [dir, mode] of [
    ['etc', 0o755],
    ['root', 0o700],
    ['run', 0o755],
    ['tmp', 0o1777],
    ['var/tmp', 0o1777],
    ['usr/local/bin', 0o755],
  ] as const) {
    await folder(root, dir, mode);
  }
  if (!(await exists(path.join(root, 'var', 'run')))) {
    await symlink('/run', path.join(root, 'var', 'run'));
  }
  for (const [name, text] of [
    ['passwd', passwd],
    ['group', group],
    ['nsswitch.conf', nsswitch],
  ] as const) {
    await writeFile(path.join(root, 'etc', name), text);
    await chmod(path.join(root, 'etc', name), 0o644);
  }
}

/**
 * Links a file into the staging root when it shares a filesystem with it and already has its
 * mode (the layer is written from the link and nothing changes it), copying it otherwise.
 */
export async function placeFile(source: string, target: string, mode: number): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  if (((await lstat(source)).mode & 0o7777) === mode) {
    try {
      await link(source, target);
      return;
    } catch {
      // Another filesystem: copy.
    }
  }
  await copyFile(source, target);
  await chmod(target, mode);
}

/** The same for a whole tree. */
export async function placeTree(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  await toolOutput('cp', ['-a', '--link', source, target]).catch(async () => {
    await rm(target, { recursive: true, force: true });
    await toolOutput('cp', ['-a', source, target]);
  });
}
