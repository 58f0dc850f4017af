// Debian packages for an image's root filesystem: their dependency closure, the exact .deb each
// one is, and a download cache. Nothing here installs anything on the machine.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from '../cluster/run-tool.ts';

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

function aptCache(args: string[]): Promise<string> {
  return toolOutput('apt-cache', args, {
    label: `apt-cache ${args[0] ?? ''}`,
    failureHint: "are apt's lists there? `apt-get update`",
  });
}

/** The closure of `roots` from the machine's apt sources, minus what `exclude` names. */
export async function resolvePackages(roots: string[], options: ClosureOptions): Promise<Closure> {
  const graph = parseDepends(await aptCache(['depends', ...dependsFlags, ...roots]));
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

export async function candidates(packages: string[]): Promise<Deb[]> {
  const debs = parseCandidates(await aptCache(['show', '--no-all-versions', ...packages]));
  const missing = packages.filter((p) => !debs.some((d) => d.package === p));
  if (missing.length > 0) throw new Error(`apt has no candidate for ${missing.join(', ')}`);
  return debs.sort((a, b) => a.package.localeCompare(b.package));
}

/**
 * Downloads the .debs the cache lacks (the exact versions asked for) and returns their paths.
 * A .deb's name carries its version, so a cached file is never stale.
 */
export async function fetchDebs(cacheDir: string, debs: Deb[]): Promise<string[]> {
  await mkdir(cacheDir, { recursive: true });
  const missing = debs.filter((d) => !existsSync(path.join(cacheDir, d.file)));
  if (missing.length > 0) {
    await toolOutput(
      'apt-get',
      [
        // The cache is root's own folder; apt's sandbox user could not write to it.
        '-o',
        'APT::Sandbox::User=root',
        'download',
        ...missing.map((d) => `${d.package}=${d.version}`),
      ],
      { cwd: cacheDir, label: 'apt-get download' },
    );
    const still = missing.filter((d) => !existsSync(path.join(cacheDir, d.file)));
    if (still.length > 0) {
      throw new Error(`apt-get download left out ${still.map((d) => d.file).join(', ')}`);
    }
  }
  return debs.map((d) => path.join(cacheDir, d.file));
}
