import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findTool, searchDirs } from './tools.ts';

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
