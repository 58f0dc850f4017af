// Debian packages for an image's root filesystem: their dependency closure, the exact .deb each
// one is, and a download cache. Nothing here installs anything on the machine.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../cluster/layout.ts';
import { toolOutput } from '../cluster/run-tool.ts';

/**
 * Where packages come from: `bookworm` is the machine's own apt sources and lists, as they are;
 * `trixie` and `sid` are each a private apt configuration under .local/ (its own sources list,
 * lists and cache, and an empty dpkg status, so nothing installed on the machine satisfies a
 * dependency).
 */
export type AptSuite = 'bookworm' | 'trixie' | 'sid';

/** The private configuration's folder; its lists are fetched once (`prepareSuite`). */
export const suiteDir = (suite: Exclude<AptSuite, 'bookworm'>) =>
  path.join(repoRoot, '.local', 'apt', suite);

const debianMirror = () => process.env.KCLOUD_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
/** bookworm's debian-archive-keyring carries the keys trixie's and sid's lists are signed with. */
const debianKeyring = () =>
  process.env.KCLOUD_TRIXIE_KEYRING ?? '/usr/share/keyrings/debian-archive-keyring.gpg';

function privateOptions(dir: string): string[] {
  return [
    ['Dir::Etc::sourcelist', path.join(dir, 'etc', 'sources.list')],
    ['Dir::Etc::sourceparts', '-'],
    ['Dir::State::Lists', path.join(dir, 'lists')],
    ['Dir::Cache', path.join(dir, 'cache')],
    // No binary cache written beside the lists: builds that run at once only read there.
    ['Dir::Cache::pkgcache', ''],
    ['Dir::Cache::srcpkgcache', ''],
    ['Dir::State::status', '/dev/null'],
    ['APT::Architecture', 'amd64'],
    ['APT::Architectures', 'amd64'],
    ['Debug::NoLocking', '1'],
  ].flatMap(([k, v]) => ['-o', `${k ?? ''}=${v ?? ''}`]);
}

/** The `-o` options apt-get and apt-cache take for `suite`. */
export function aptOptions(suite: AptSuite): string[] {
  return suite === 'bookworm' ? [] : privateOptions(suiteDir(suite));
}

/** apt's download user cannot write into a folder root owns under the repository. */
const sandboxOptions = () => (process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : []);

/**
 * Fetches a private suite's lists when they are missing: into a new folder moved into place
 * whole, so the folder is there only with all of them. The machine's own suite needs nothing.
 */
export async function prepareSuite(
  suite: AptSuite,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  if (suite === 'bookworm') return;
  const dir = suiteDir(suite);
  if (existsSync(dir)) return;
  const keyring = debianKeyring();
  if (!existsSync(keyring)) {
    throw new Error(
      `no Debian archive keyring at ${keyring}: install debian-archive-keyring (bookworm's has the keys of ${suite}'s lists)`,
    );
  }
  await mkdir(path.dirname(dir), { recursive: true });
  const staging = await mkdtemp(`${dir}.new-`);
  try {
    for (const d of ['lists/partial', 'cache/archives/partial', 'etc']) {
      await mkdir(path.join(staging, d), { recursive: true });
    }
    const sources = `deb [signed-by=${keyring}] ${debianMirror()} ${suite} main\n`;
    await writeFile(path.join(staging, 'etc', 'sources.list'), sources);
    log(`fetching Debian ${suite}'s package lists from ${debianMirror()} into ${dir}`);
    await toolOutput(
      'apt-get',
      [...privateOptions(staging), ...sandboxOptions(), '-qq', 'update'],
      {
        label: `apt-get update (${suite})`,
      },
    );
    // Another build may have prepared them meanwhile; either copy will do.
    if (!existsSync(dir)) await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The flags that leave only what a package needs to work: Depends and PreDepends. */
const dependsFlags = [
  '--recurse',
  '--no-recommends',
  '--no-suggests',
  '--no-conflicts',
  '--no-breaks',
  '--no-replaces',
  '--no-enhances',
];

/** One line of `apt-cache depends`: a package, or a virtual name some packages provide. */
export interface DependOption {
  name: string;
  virtual: boolean;
  /** Other packages apt lists as providing the name, in apt's order. */
  providers: string[];
}

/** What must be installed for each package: every group is satisfied by any one option. */
export type DependsGraph = Map<string, DependOption[][]>;

/** `perl:any` and `perl` are one package on a single-architecture machine. */
const bare = (name: string) => name.replace(/:any$/, '');

/** Parses `apt-cache depends --recurse` output; ` |Depends:` continues an either-or group. */
export function parseDepends(output: string): DependsGraph {
  const graph: DependsGraph = new Map();
  let groups: DependOption[][] | undefined;
  let option: DependOption | undefined;
  let continues = false;
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const dep = /^ ([ |])(?:Pre)?Depends: (<)?([^<>\s]+)>?$/.exec(line);
    if (dep) {
      if (!groups) throw new Error(`apt-cache depends: dependency before a package: ${line}`);
      option = { name: bare(dep[3] ?? ''), virtual: dep[2] === '<', providers: [] };
      const last = groups.at(-1);
      if (continues && last) last.push(option);
      else groups.push([option]);
      continues = dep[1] === '|';
      continue;
    }
    const provider = /^ {4}(\S+)$/.exec(line);
    if (provider) {
      if (!option) throw new Error(`apt-cache depends: provider of nothing: ${line}`);
      option.providers.push(bare(provider[1] ?? ''));
      continue;
    }
    const pkg = /^(<)?([^<>\s]+)>?$/.exec(line);
    if (!pkg) throw new Error(`apt-cache depends: unexpected line: ${line}`);
    const name = bare(pkg[2] ?? '');
    option = undefined;
    continues = false;
    // A virtual name has no dependencies of its own; a package listed twice keeps the first.
    if (pkg[1] === '<' || graph.has(name)) {
      groups = [];
      continue;
    }
    groups = [];
    graph.set(name, groups);
  }
  return graph;
}

export interface ClosureOptions {
  /**
   * Packages the image never runs. A dependency one of them could satisfy is left out, so the
   * root filesystem must be checked afterwards (see elf.ts) rather than trusted.
   */
  exclude: (name: string) => boolean;
}

export interface Closure {
  packages: string[];
  /** `from -> a | b` for each dependency left out because an excluded package satisfies it. */
  dropped: string[];
}

/**
 * The packages `roots` need. In an either-or group an option already chosen wins, then the
 * first one as apt would pick it; a virtual name takes its first provider.
 */
export function closure(graph: DependsGraph, roots: string[], options: ClosureOptions): Closure {
  const chosen = new Set<string>();
  const dropped: string[] = [];
  const queue: string[] = [];
  const choose = (name: string) => {
    if (chosen.has(name)) return;
    if (!graph.has(name)) throw new Error(`package ${name} is not in apt's lists`);
    chosen.add(name);
    queue.push(name);
  };
  for (const root of roots) {
    if (options.exclude(root)) throw new Error(`package ${root} is both wanted and excluded`);
    choose(root);
  }
  const candidates = (o: DependOption) => (o.virtual ? o.providers : [o.name, ...o.providers]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const group of graph.get(next) ?? []) {
      const names = group.flatMap(candidates);
      if (names.some((n) => chosen.has(n))) continue;
      if (names.some((n) => options.exclude(n))) {
        dropped.push(`${next} -> ${group.map((o) => o.name).join(' | ')}`);
        continue;
      }
      const pick = names[0];
      if (pick === undefined) {
        throw new Error(
          `${next} needs ${group.map((o) => o.name).join(' | ')}, which no package provides`,
        );
      }
      choose(pick);
    }
  }
  return { packages: [...chosen].sort(), dropped };
}

function aptCache(suite: AptSuite, args: string[]): Promise<string> {
  return toolOutput('apt-cache', [...aptOptions(suite), ...args], {
    label: `apt-cache ${args[0] ?? ''} (${suite})`,
    failureHint:
      suite === 'bookworm'
        ? "are apt's lists there? `apt-get update`"
        : `are ${suite}'s lists in ${suiteDir(suite)}? remove the folder to fetch them again`,
  });
}

/** The closure of `roots` from `options.suite` (the machine's by default), minus `exclude`. */
export async function resolvePackages(
  roots: string[],
  options: ClosureOptions & { suite?: AptSuite },
): Promise<Closure> {
  const suite = options.suite ?? 'bookworm';
  const graph = parseDepends(await aptCache(suite, ['depends', ...dependsFlags, ...roots]));
  return closure(graph, roots, options);
}

/** The version apt would install, and the file name `apt-get download` gives it. */
export interface Deb {
  package: string;
  version: string;
  architecture: string;
  file: string;
}

/** Parses `apt-cache show --no-all-versions`: one stanza per package. */
export function parseCandidates(output: string): Deb[] {
  const debs: Deb[] = [];
  for (const stanza of output.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(stanza)?.[1]?.trim();
    const pkg = field('Package');
    const version = field('Version');
    const architecture = field('Architecture');
    if (!pkg) continue;
    if (!version || !architecture) throw new Error(`apt-cache show: ${pkg} has no version`);
    // apt-get download writes an epoch's colon URL-encoded.
    const file = `${pkg}_${version.replace(/:/g, '%3a')}_${architecture}.deb`;
    debs.push({ package: pkg, version, architecture, file });
  }
  return debs;
}

export async function candidates(packages: string[], suite: AptSuite = 'bookworm'): Promise<Deb[]> {
  const debs = parseCandidates(await aptCache(suite, ['show', '--no-all-versions', ...packages]));
  const missing = packages.filter((p) => !debs.some((d) => d.package === p));
  if (missing.length > 0) throw new Error(`apt has no candidate for ${missing.join(', ')}`);
  return debs.sort((a, b) => a.package.localeCompare(b.package));
}

/**
 * Downloads the .debs the cache lacks (the exact versions asked for) and returns their paths.
 * A .deb's name carries its version, so a cached file is never stale.
 */
export async function fetchDebs(
  cacheDir: string,
  debs: Deb[],
  suite: AptSuite = 'bookworm',
): Promise<string[]> {
  await mkdir(cacheDir, { recursive: true });
  const missing = debs.filter((d) => !existsSync(path.join(cacheDir, d.file)));
  if (missing.length > 0) {
    await toolOutput(
      'apt-get',
      [
        ...aptOptions(suite),
        // The cache is root's own folder; apt's sandbox user could not write to it.
        '-o',
        'APT::Sandbox::User=root',
        'download',
        ...missing.map((d) => `${d.package}=${d.version}`),
      ],
      {
        cwd: cacheDir,
        label: `apt-get download (${suite})`,
        // A point release replaces versions; the archive then no longer has the listed ones.
        ...(suite === 'bookworm'
          ? {}
          : { failureHint: `${suite}'s lists may be old: remove ${suiteDir(suite)}` }),
      },
    );
    const still = missing.filter((d) => !existsSync(path.join(cacheDir, d.file)));
    if (still.length > 0) {
      throw new Error(`apt-get download left out ${still.map((d) => d.file).join(', ')}`);
    }
  }
  return debs.map((d) => path.join(cacheDir, d.file));
}
