#!/usr/bin/env node
// OVN 25.03 and Open vSwitch 3.5 from Debian trixie (or, with --ovn=26.03, OVN 26.03 and Open
// vSwitch 4.0 from Debian sid), unpacked into one root under .local/ that runs on this
// (bookworm) machine without touching its libc: every program there is started through the
// root's own loader (hack/ovn/tools.ts). The packages come through the private apt
// configuration the images use (hack/images/apt.ts: its own sources, lists and cache, an empty
// dpkg status), never the machine's sources, and nothing is installed. A second run with the
// same mirror and package list does nothing, without the network.
//
// usage: node hack/ovn/trixie/fetch.ts [--ovn=25.03|26.03]
//        (KCLOUD_DEBIAN_MIRROR: another Debian mirror)
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toolOutput } from '../../cluster/run-tool.ts';
import { candidates, fetchDebs, prepareSuite, suiteDir, type AptSuite } from '../../images/apt.ts';
import { ovnRoots, type RootVersion } from '../install.ts';

/**
 * The daemons and tools, and every shared library they load that bookworm's would not fit
 * (trixie's libc first: the programs need its symbol versions).
 */
export const trixieOvnPackages = [
  'ovn-central',
  'ovn-common',
  'ovn-host',
  'openvswitch-common',
  'openvswitch-switch',
  'libc6',
  'libgcc-s1',
  'libssl3t64',
  'libcap-ng0',
  'libcap2',
  'libunbound8',
  'libevent-2.1-7t64',
  'libbpf1',
  'libelf1t64',
  'libxdp1',
  'libnuma1',
  'libudev1',
  'zlib1g',
  'libzstd1',
];

/**
 * sid's builds load the same libraries (the root's loader's `--list` of each daemon and tool
 * finds every one inside the root), so the same packages in sid's versions.
 */
export const sidOvnPackages = [...trixieOvnPackages];

/** What each version is unpacked from. */
export const ovnSources: Record<
  RootVersion,
  { suite: Exclude<AptSuite, 'bookworm'>; what: string; packages: readonly string[] }
> = {
  '25.03': {
    suite: 'trixie',
    what: 'OVN 25.03 and Open vSwitch 3.5 from Debian trixie',
    packages: trixieOvnPackages,
  },
  '26.03': {
    suite: 'sid',
    what: 'OVN 26.03 and Open vSwitch 4.0 from Debian sid',
    packages: sidOvnPackages,
  },
};

/** The manifest's first line: what the root was made from. */
export function wantedLine(mirror: string, packages: readonly string[]): string {
  return `# mirror=${mirror} packages=${packages.join(' ')}`;
}

/** The version `--ovn` names; 25.03, the one every target runs, by default. */
export function fetchedVersion(argv: string[]): RootVersion {
  const { values } = parseArgs({ args: argv, options: { ovn: { type: 'string' } } });
  const version = values.ovn ?? '25.03';
  if (version !== '25.03' && version !== '26.03') {
    throw new Error(`--ovn=${version}: this unpacks 25.03 (Debian trixie) or 26.03 (Debian sid)`);
  }
  return version;
}

async function unpack(version: RootVersion): Promise<void> {
  const { suite, what, packages } = ovnSources[version];
  const { root } = ovnRoots[version];
  const mirror = process.env.KCLOUD_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  const manifest = path.join(root, 'kcloud-manifest.txt');
  const wanted = wantedLine(mirror, packages);
  if (existsSync(manifest) && readFileSync(manifest, 'utf8').split('\n')[0] === wanted) return;

  console.log(`downloading ${what} (${mirror}) into ${path.dirname(root)}`);
  await prepareSuite(suite, (line) => {
    console.log(line);
  });
  const debs = await candidates([...packages], suite);
  const files = await fetchDebs(path.join(suiteDir(suite), 'debs'), debs, suite);

  const staging = `${root}.new`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const file of files) {
    await toolOutput('dpkg-deb', ['-x', file, staging], { label: `dpkg-deb -x ${file}` });
  }
  // The daemons' own folders are given on their command lines (hack/ovn/env.ts); what the
  // packages ship in etc/ and var/ is never read.
  if (!existsSync(path.join(staging, 'usr', 'lib64', 'ld-linux-x86-64.so.2'))) {
    throw new Error('the unpacked root has no loader at usr/lib64/ld-linux-x86-64.so.2');
  }
  const lines = debs.map((d) => `${d.package} ${d.version}`);
  await writeFile(path.join(staging, 'kcloud-manifest.txt'), [wanted, ...lines, ''].join('\n'));
  await rm(root, { recursive: true, force: true });
  await rename(staging, root);
  console.log(`unpacked into ${root}:\n${lines.join('\n')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await unpack(fetchedVersion(process.argv.slice(2)));
  } catch (err: unknown) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
