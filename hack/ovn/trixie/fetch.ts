#!/usr/bin/env node
// OVN 25.03 and Open vSwitch 3.5 from Debian trixie, unpacked into one root under .local/ that
// runs on this (bookworm) machine without touching its libc: every program there is started
// through the root's own loader (hack/ovn/tools.ts). The packages come through the private apt
// configuration the images use (hack/images/apt.ts: its own sources, lists and cache, an empty
// dpkg status), never the machine's sources, and nothing is installed. A second run with the
// same mirror and package list does nothing, without the network.
//
// usage: node hack/ovn/trixie/fetch.ts   (KCLOUD_DEBIAN_MIRROR: another Debian mirror)
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolOutput } from '../../cluster/run-tool.ts';
import { candidates, fetchDebs, prepareSuite, suiteDir } from '../../images/apt.ts';
import { trixieRoot } from '../install.ts';

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

/** The manifest's first line: what the root was made from. */
export function wantedLine(mirror: string, packages: readonly string[]): string {
  return `# mirror=${mirror} packages=${packages.join(' ')}`;
}

async function main(): Promise<void> {
  const mirror = process.env.KCLOUD_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
  const manifest = path.join(trixieRoot, 'kcloud-manifest.txt');
  const wanted = wantedLine(mirror, trixieOvnPackages);
  if (existsSync(manifest) && readFileSync(manifest, 'utf8').split('\n')[0] === wanted) return;

  const base = path.dirname(trixieRoot);
  console.log(
    `downloading OVN 25.03 and Open vSwitch 3.5 from Debian trixie (${mirror}) into ${base}`,
  );
  await prepareSuite('trixie', (line) => {
    console.log(line);
  });
  const debs = await candidates(trixieOvnPackages, 'trixie');
  const files = await fetchDebs(path.join(suiteDir('trixie'), 'debs'), debs, 'trixie');

  const staging = `${trixieRoot}.new`;
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
  await rm(trixieRoot, { recursive: true, force: true });
  await rename(staging, trixieRoot);
  console.log(`unpacked into ${trixieRoot}:\n${lines.join('\n')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
