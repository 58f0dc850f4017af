// Proof that a root filesystem made of some packages' files, and not of others, still runs: every
// ELF file in it finds its interpreter and each library it names (DT_NEEDED) inside that root,
// searched the way the dynamic loader would search it there.
import { lstatSync, readlinkSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from '../cluster/run-tool.ts';

/**
 * Debian's loader searches these when there is no /etc/ld.so.cache (no ldconfig runs in an
 * image): `ld-linux-x86-64.so.2 --help` lists them as the system search path.
 */
export const systemLibraryDirs = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib',
  '/usr/lib',
];

/** Where a root's programs and libraries live (after the /usr merge: the real folders). */
export const elfDirs = ['/usr/bin', '/usr/sbin', '/usr/lib', '/usr/libexec', '/usr/local'];

export interface ElfInfo {
  /** The file's path inside the root. */
  file: string;
  interpreter?: string;
  needed: string[];
  rpath: string[];
  runpath: string[];
}

/**
 * A path inside `root` with symlinks followed as they would be there (an absolute target starts
 * again from `root`); undefined when it does not exist.
 */
export function resolveInRoot(root: string, file: string, hops = 0): string | undefined {
  if (hops > 40) return undefined;
  const parts = file.split('/').filter(Boolean);
  let current = '/';
  for (const [i, part] of parts.entries()) {
    const next = path.posix.join(current, part);
    let link: string | undefined;
    try {
      const st = lstatSync(path.join(root, next));
      if (st.isSymbolicLink()) link = readlinkSync(path.join(root, next));
    } catch {
      return undefined;
    }
    if (link === undefined) {
      current = next;
      continue;
    }
    const base = link.startsWith('/') ? link : path.posix.join(current, link);
    return resolveInRoot(root, path.posix.join(base, ...parts.slice(i + 1)), hops + 1);
  }
  return current;
}

/** Parses `readelf -l -d -W` of one or more files (readelf names each only when there are more). */
export function parseReadelf(output: string, files: string[]): ElfInfo[] {
  const sections =
    files.length === 1
      ? [{ file: files[0] ?? '', text: output }]
      : output
          .split(/^File: /m)
          .slice(1)
          .map((s) => {
            const nl = s.indexOf('\n');
            return { file: s.slice(0, nl).trim(), text: s.slice(nl) };
          });
  return sections.map(({ file, text }) => {
    const list = (tag: string) =>
      [...text.matchAll(new RegExp(`\\(${tag}\\)\\s+[^[]*\\[([^\\]]*)\\]`, 'g'))].map(
        (m) => m[1] ?? '',
      );
    const interpreter = /\[Requesting program interpreter: ([^\]]+)\]/.exec(text)?.[1];
    return {
      file,
      ...(interpreter ? { interpreter } : {}),
      needed: list('NEEDED'),
      rpath: list('RPATH').flatMap((p) => p.split(':')),
      runpath: list('RUNPATH').flatMap((p) => p.split(':')),
    };
  });
}

async function isElf(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    return bytesRead === 4 && magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    await handle.close();
  }
}

/**
 * Regular ELF files under `dirs` of `root` whose names `match` accepts, as paths inside the root;
 * symlinks are not followed.
 */
export async function findElfFiles(
  root: string,
  dirs: string[] = elfDirs,
  match: (name: string) => boolean = () => true,
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(path.join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const inRoot = path.posix.join(dir, e.name);
      if (e.isDirectory()) await walk(inRoot);
      else if (e.isFile() && match(e.name) && (await isElf(path.join(root, inRoot)))) {
        found.push(inRoot);
      }
    }
  };
  for (const dir of dirs) await walk(dir);
  return found.sort();
}

export async function readElfs(root: string, files: string[]): Promise<ElfInfo[]> {
  const infos: ElfInfo[] = [];
  for (let i = 0; i < files.length; i += 200) {
    const batch = files.slice(i, i + 200);
    const stdout = await toolOutput('readelf', ['-l', '-d', '-W', ...batch], {
      cwd: root,
      maxBuffer: 256 * 2 ** 20,
      label: 'readelf',
      missingHint: 'Debian package binutils',
    });
    // Run from the root with relative names, so readelf's "File:" lines are the paths inside it.
    const parsed = parseReadelf(stdout, batch);
    infos.push(...parsed.map((p) => ({ ...p, file: `/${p.file.replace(/^\.?\//, '')}` })));
  }
  return infos;
}

/** Where the loader would find `lib` for `elf`, inside `root`; undefined when it would not. */
export function findLibrary(root: string, elf: ElfInfo, lib: string): string | undefined {
  if (lib.includes('/')) return resolveInRoot(root, lib);
  const origin = path.posix.dirname(elf.file);
  const expand = (dir: string) => dir.replace(/\$\{?ORIGIN\}?/g, origin);
  // DT_RPATH is ignored when DT_RUNPATH is present; both come before the system folders.
  const dirs = [...(elf.runpath.length > 0 ? elf.runpath : elf.rpath), ...systemLibraryDirs];
  for (const dir of dirs.map(expand)) {
    const found = resolveInRoot(root, path.posix.join(dir, lib));
    if (found) return found;
  }
  return undefined;
}

export interface CheckOptions {
  /** Folders whose every ELF file is checked. */
  dirs?: string[];
  /**
   * Folders (node_modules) where only Node.js addons (`*.node`) are: packages there also carry
   * prebuilt libraries for other platforms and runtimes, which Node.js never loads.
   */
  addonDirs?: string[];
}

/**
 * Fails, naming each program and library, when an ELF file of `root` lacks its interpreter or a
 * library it needs. Returns how many files were checked.
 */
export async function checkNeeded(root: string, options: CheckOptions = {}): Promise<number> {
  const files = [
    ...(await findElfFiles(root, options.dirs ?? elfDirs)),
    ...(await findElfFiles(root, options.addonDirs ?? [], (n) => n.endsWith('.node'))),
  ];
  const infos = await readElfs(
    root,
    files.map((f) => `.${f}`),
  );
  const problems: string[] = [];
  for (const elf of infos) {
    if (elf.interpreter && !resolveInRoot(root, elf.interpreter)) {
      problems.push(`${elf.file} needs its interpreter ${elf.interpreter}`);
    }
    for (const lib of elf.needed) {
      if (!findLibrary(root, elf, lib)) problems.push(`${elf.file} needs ${lib}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `root filesystem ${root} is missing what its programs need:\n  ${problems.join('\n  ')}`,
    );
  }
  return infos.length;
}
