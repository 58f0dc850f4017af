import { describe, expect, it } from '@jest/globals';
import { aptOptions, closure, parseCandidates, parseDepends, suiteDir } from './apt.ts';

// The shape of `apt-cache depends --recurse --no-recommends ...`: either-or groups (` |`),
// virtual names (`<...>`) with their providers below, providers listed under a real package,
// a package listed twice, and virtual names listed at the end.
const output = `ovn-common
  Depends: <python3:any>
    python3
  Depends: libc6
  Depends: libssl3
iproute2
 |Depends: debconf
  Depends: <debconf-2.0>
    cdebconf
    debconf
  Depends: libbpf1
  Depends: libc6
base-files
  PreDepends: <awk>
    gawk
    original-awk
    mawk
init-system-helpers
 |Depends: usrmerge
  Depends: usr-is-merged
    usrmerge
libc6
  Depends: libgcc-s1
libssl3
  Depends: libc6
libbpf1
  Depends: libc6
  Depends: libelf1
libelf1
  Depends: libc6
  Depends: zlib1g
zlib1g
  PreDepends: libc6
libgcc-s1
  Depends: gcc-12-base
  Depends: libc6
libgcc-s1
  Depends: gcc-12-base
  Depends: libc6
gcc-12-base
python3
  Depends: python3-minimal
python3-minimal
debconf
cdebconf
  Depends: libc6
gawk
  Depends: libmpfr6
libmpfr6
original-awk
mawk
usrmerge
  Depends: <perl:any>
    perl
perl
usr-is-merged
<python3:any>
<debconf-2.0>
<awk>
<perl:any>
`;

describe("apt-cache depends' output", () => {
  const graph = parseDepends(output);

  it('reads either-or groups, virtual names and their providers', () => {
    expect(graph.get('iproute2')?.map((g) => g.map((o) => o.name))).toEqual([
      ['debconf', 'debconf-2.0'],
      ['libbpf1'],
      ['libc6'],
    ]);
    expect(graph.get('base-files')?.[0]?.[0]).toEqual({
      name: 'awk',
      virtual: true,
      providers: ['gawk', 'original-awk', 'mawk'],
    });
    expect(graph.get('init-system-helpers')?.[0]?.[1]).toEqual({
      name: 'usr-is-merged',
      virtual: false,
      providers: ['usrmerge'],
    });
    // `:any` is dropped; a virtual name is not a package.
    expect(graph.get('ovn-common')?.[0]?.[0]?.name).toBe('python3');
    expect(graph.has('awk')).toBe(false);
    expect(graph.get('libgcc-s1')).toHaveLength(2);
  });

  it('closes over Depends and PreDepends, first option first', () => {
    const c = closure(graph, ['ovn-common', 'iproute2'], { exclude: () => false });
    expect(c.packages).toEqual([
      'debconf',
      'gcc-12-base',
      'iproute2',
      'libbpf1',
      'libc6',
      'libelf1',
      'libgcc-s1',
      'libssl3',
      'ovn-common',
      'python3',
      'python3-minimal',
      'zlib1g',
    ]);
    expect(c.dropped).toEqual([]);
  });

  it('takes a virtual name from its first provider unless another is already chosen', () => {
    expect(closure(graph, ['base-files'], { exclude: () => false }).packages).toEqual([
      'base-files',
      'gawk',
      'libmpfr6',
    ]);
    expect(closure(graph, ['mawk', 'base-files'], { exclude: () => false }).packages).toEqual([
      'base-files',
      'mawk',
    ]);
  });

  it('leaves out what an excluded package would satisfy, and says so', () => {
    const exclude = (n: string) => /^(python3.*|debconf|usrmerge|perl)$/.test(n);
    const c = closure(graph, ['ovn-common', 'iproute2', 'init-system-helpers'], { exclude });
    expect(c.packages).not.toContain('python3');
    expect(c.packages).not.toContain('cdebconf');
    // usr-is-merged is provided by usrmerge, which is excluded: the whole group goes.
    expect(c.packages).not.toContain('usr-is-merged');
    expect(c.dropped).toEqual([
      'ovn-common -> python3',
      'iproute2 -> debconf | debconf-2.0',
      'init-system-helpers -> usrmerge | usr-is-merged',
    ]);
  });

  it('refuses a root that is excluded or unknown', () => {
    expect(() => closure(graph, ['perl'], { exclude: (n) => n === 'perl' })).toThrow(
      /both wanted and excluded/,
    );
    expect(() => closure(graph, ['nonesuch'], { exclude: () => false })).toThrow(
      /nonesuch is not in apt's lists/,
    );
  });

  it('rejects lines it does not understand', () => {
    expect(() => parseDepends('pkg\n  Recommends: x\n')).toThrow(/unexpected line/);
  });
});

describe("apt-cache show's candidates", () => {
  it("names each .deb as apt-get download does, the epoch's colon encoded", () => {
    const debs = parseCandidates(`Package: libgmp10
Version: 2:6.2.1+dfsg1-1.1
Architecture: amd64
Filename: pool/main/g/gmp/libgmp10_6.2.1+dfsg1-1.1_amd64.deb

Package: dash
Version: 0.5.12-2
Architecture: amd64
Description: POSIX shell
 Multi-line: description
`);
    expect(debs.map((d) => d.file)).toEqual([
      'libgmp10_2%3a6.2.1+dfsg1-1.1_amd64.deb',
      'dash_0.5.12-2_amd64.deb',
    ]);
  });
});

describe('apt options of a suite', () => {
  it("read bookworm from the machine's own sources, lists and status", () => {
    expect(aptOptions('bookworm')).toEqual([]);
  });

  it('read trixie from its own folder only, with nothing counted as installed', () => {
    const opts = aptOptions('trixie');
    const set = Object.fromEntries(
      opts
        .filter((_, i) => i % 2 === 1)
        .map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]),
    );
    expect(opts.filter((_, i) => i % 2 === 0).every((o) => o === '-o')).toBe(true);
    const dir = suiteDir('trixie');
    expect(dir).toMatch(/\/\.local\/apt\/trixie$/);
    expect(set).toMatchObject({
      'Dir::Etc::sourcelist': `${dir}/etc/sources.list`,
      // No /etc/apt/sources.list.d: the machine's sources are never read.
      'Dir::Etc::sourceparts': '-',
      'Dir::State::Lists': `${dir}/lists`,
      'Dir::Cache': `${dir}/cache`,
      'Dir::State::status': '/dev/null',
    });
  });

  it('read sid from a folder of its own, beside trixie', () => {
    const opts = aptOptions('sid');
    expect(suiteDir('sid')).toMatch(/\/\.local\/apt\/sid$/);
    expect(opts).toContain(`Dir::Etc::sourcelist=${suiteDir('sid')}/etc/sources.list`);
    expect(opts).toContain('Dir::Etc::sourceparts=-');
    expect(opts).toContain('Dir::State::status=/dev/null');
    expect(opts.join(' ')).not.toContain(suiteDir('trixie'));
  });
});
