import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findTool, rootTools, searchDirs } from './tools.ts';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-ovn-tools-'));
  await writeFile(path.join(dir, 'ovn-northd'), '#!/bin/sh\n', { mode: 0o755 });
  await writeFile(path.join(dir, 'ovsdb-tool'), 'not executable', { mode: 0o644 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('finding the OVS and OVN programs', () => {
  it('returns the first executable match as an absolute path', () => {
    expect(findTool('ovn-northd', ['/nonexistent', dir])).toBe(path.join(dir, 'ovn-northd'));
  });

  it('skips files that are not executable and relative folders', () => {
    expect(findTool('ovsdb-tool', [dir])).toBeUndefined();
    expect(findTool('ovn-northd', [path.relative(process.cwd(), dir)])).toBeUndefined();
  });

  it("searches the caller's PATH first, then the sbin and bin folders", () => {
    const dirs = searchDirs('/opt/ovs/bin:/usr/bin');
    expect(dirs[0]).toBe('/opt/ovs/bin');
    expect(dirs).toContain('/usr/sbin');
    expect(dirs.filter((d) => d === '/usr/bin')).toHaveLength(1);
  });
});

describe('the programs of an unpacked trixie root', () => {
  let root = '';

  beforeAll(async () => {
    root = path.join(dir, 'root');
    for (const d of ['usr/lib/x86_64-linux-gnu', 'usr/lib64', 'usr/sbin', 'usr/bin']) {
      await mkdir(path.join(root, d), { recursive: true });
    }
    await mkdir(path.join(root, 'usr/lib/openvswitch-switch'), { recursive: true });
    const exe = (p: string) => writeFile(path.join(root, p), '', { mode: 0o755 });
    await exe('usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    // As the package ships it: a relative link the root's own folders resolve.
    await symlink(
      '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      path.join(root, 'usr/lib64/ld-linux-x86-64.so.2'),
    );
    await exe('usr/sbin/ovsdb-server');
    await exe('usr/bin/ovn-northd');
    await exe('usr/lib/openvswitch-switch/ovs-vswitchd');
  });

  it("runs each through the root's loader with the root's libraries", () => {
    const tool = rootTools(root);
    const loader = path.join(root, 'usr/lib64/ld-linux-x86-64.so.2');
    const libs = ['--library-path', path.join(root, 'usr/lib/x86_64-linux-gnu')];
    expect(tool('ovsdb-server')).toEqual({
      file: loader,
      args: [...libs, path.join(root, 'usr/sbin/ovsdb-server')],
    });
    expect(tool('ovn-northd').args.at(-1)).toBe(path.join(root, 'usr/bin/ovn-northd'));
    // Where the package keeps it, since no install script links it into sbin.
    expect(tool('ovs-vswitchd').args.at(-1)).toBe(
      path.join(root, 'usr/lib/openvswitch-switch/ovs-vswitchd'),
    );
  });

  it('says how to unpack the root when a program is missing', () => {
    expect(() => rootTools(root)('ovn-controller')).toThrow('run `make setup` to unpack OVN 25.03');
    expect(() => rootTools(path.join(dir, 'nothing'))('ovn-northd')).toThrow(
      'run `make setup` to unpack OVN 25.03',
    );
  });
});
