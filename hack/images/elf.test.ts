import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { checkNeeded, findLibrary, parseReadelf, resolveInRoot } from './elf.ts';
import { mergeUsr } from './rootfs.ts';

// A root with a real program (this machine's /usr/bin/true: it needs libc.so.6 and the loader)
// laid out as Debian 12 has it, with /lib64 and /lib as symlinks into /usr.
let root = '';
const multiarch = '/usr/lib/x86_64-linux-gnu';

async function put(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, target)), { recursive: true });
  await copyFile(source, path.join(root, target));
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'elf-check-'));
  await put('/usr/bin/true', '/usr/bin/true');
  await put(`${multiarch}/ld-linux-x86-64.so.2`, `${multiarch}/ld-linux-x86-64.so.2`);
  await mkdir(path.join(root, 'lib64'));
  // As libc6 ships it: an absolute link, which must resolve inside the root, not on this host.
  await symlink(
    '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    path.join(root, 'lib64', 'ld-linux-x86-64.so.2'),
  );
  await mergeUsr(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the ELF check of a root filesystem', () => {
  it('names the program and the library it lacks', async () => {
    await expect(checkNeeded(root)).rejects.toThrow(/\/usr\/bin\/true needs libc\.so\.6/);
  });

  it('passes once the library is there', async () => {
    await put(`${multiarch}/libc.so.6`, `${multiarch}/libc.so.6`);
    // true, libc.so.6 and the loader itself.
    expect(await checkNeeded(root)).toBe(3);
  });

  it('names a missing interpreter', async () => {
    await put(`${multiarch}/libc.so.6`, `${multiarch}/libc.so.6`);
    await rm(path.join(root, 'usr', 'lib64', 'ld-linux-x86-64.so.2'));
    await expect(checkNeeded(root)).rejects.toThrow(
      /\/usr\/bin\/true needs its interpreter \/lib64\/ld-linux-x86-64\.so\.2/,
    );
  });

  it('follows symlinks inside the root only', async () => {
    expect(resolveInRoot(root, '/lib64/ld-linux-x86-64.so.2')).toBe(
      `${multiarch}/ld-linux-x86-64.so.2`,
    );
    // This machine has libc.so.6 there; the root does not.
    expect(resolveInRoot(root, `/lib/x86_64-linux-gnu/libc.so.6`)).toBeUndefined();
    await symlink('../../../..', path.join(root, 'usr', 'lib', 'up'));
    expect(resolveInRoot(root, '/usr/lib/up/usr/bin/true')).toBe('/usr/bin/true');
  });

  it('searches RUNPATH with $ORIGIN before the system folders', async () => {
    await put(`${multiarch}/libc.so.6`, '/usr/lib/app/private/libc.so.6');
    const elf = {
      file: '/usr/lib/app/bin/tool',
      needed: ['libc.so.6'],
      rpath: [],
      runpath: ['$ORIGIN/../private'],
    };
    expect(findLibrary(root, elf, 'libc.so.6')).toBe('/usr/lib/app/private/libc.so.6');
    expect(findLibrary(root, { ...elf, runpath: [] }, 'libc.so.6')).toBeUndefined();
  });
});

describe("readelf's output", () => {
  it('gives each file its interpreter, needed libraries and search paths', () => {
    const out = `
File: ./usr/bin/a

Elf file type is DYN (Position-Independent Executable file)
      [Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]

Dynamic section at offset 0x2000 contains 3 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libm.so.6]
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x000000000000001d (RUNPATH)            Library runpath: [$ORIGIN/../lib:/opt/x]

File: ./usr/lib/b.so

There is no dynamic section in this file.
`;
    expect(parseReadelf(out, ['./usr/bin/a', './usr/lib/b.so'])).toEqual([
      {
        file: './usr/bin/a',
        interpreter: '/lib64/ld-linux-x86-64.so.2',
        needed: ['libm.so.6', 'libc.so.6'],
        rpath: [],
        runpath: ['$ORIGIN/../lib', '/opt/x'],
      },
      { file: './usr/lib/b.so', needed: [], rpath: [], runpath: [] },
    ]);
  });
});
