import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { checkCgroupPath, enterCgroup, hierarchies, LaunchError } from './vm-launch.ts';

// A cgroup filesystem stand-in: folders with the control files enterCgroup reads and writes.
let root = '';
const dirs: string[] = [];
function fakeRoot(layout: 'v1' | 'v2'): string {
  root = mkdtempSync(path.join(tmpdir(), 'vm-launch-'));
  dirs.push(root);
  if (layout === 'v2') {
    writeFileSync(path.join(root, 'cgroup.procs'), '');
    return root;
  }
  for (const h of ['memory', 'cpuset']) {
    mkdirSync(path.join(root, h));
    writeFileSync(path.join(root, h, 'cgroup.procs'), '');
  }
  writeFileSync(path.join(root, 'cpuset', 'cpuset.cpus'), '0-1\n');
  writeFileSync(path.join(root, 'cpuset', 'cpuset.mems'), '0\n');
  return root;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const uid = '0b5d9a8e-1c2f-4a7b-9e3d-2f1a6c8b7e40';

describe('checkCgroupPath', () => {
  it('takes <parent>/<vm> and refuses a bare name, absolute paths and ..', () => {
    expect(checkCgroupPath(`kcloud.vms/${uid}`)).toEqual({ parent: 'kcloud.vms', leaf: uid });
    expect(checkCgroupPath(`a/b/${uid}`)).toEqual({ parent: 'a/b', leaf: uid });
    for (const bad of [uid, `/kcloud.vms/${uid}`, `../x/${uid}`, `kcloud.vms//${uid}`, '']) {
      expect(() => checkCgroupPath(bad)).toThrow(LaunchError);
    }
  });
});

describe('hierarchies', () => {
  it('is the root on cgroup v2 and each controller’s folder on v1', () => {
    const v2 = fakeRoot('v2');
    expect(hierarchies(v2)).toEqual([v2]);
    const v1 = fakeRoot('v1');
    expect(hierarchies(v1).sort()).toEqual([path.join(v1, 'cpuset'), path.join(v1, 'memory')]);
  });

  it('says what to mount when there is no cgroup filesystem', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'vm-launch-'));
    dirs.push(empty);
    expect(() => hierarchies(empty)).toThrow(/mount the host's \/sys\/fs\/cgroup there/);
    expect(() => hierarchies(path.join(empty, 'none'))).toThrow(/cannot read the cgroup/);
  });
});

describe('enterCgroup', () => {
  it('writes its pid into the VM’s cgroup in every hierarchy, a new cpuset given its parent’s CPUs', () => {
    const v1 = fakeRoot('v1');
    // What a v1 kernel makes in a new cpuset: empty CPUs and memory nodes.
    mkdirSync(path.join(v1, 'cpuset', 'kcloud.vms'));
    writeFileSync(path.join(v1, 'cpuset', 'kcloud.vms', 'cpuset.cpus'), '');
    writeFileSync(path.join(v1, 'cpuset', 'kcloud.vms', 'cpuset.mems'), '');
    const made = enterCgroup(v1, `kcloud.vms/${uid}`);
    expect(made.sort()).toEqual([
      path.join(v1, 'cpuset', 'kcloud.vms', uid),
      path.join(v1, 'memory', 'kcloud.vms', uid),
    ]);
    for (const dir of made) {
      expect(readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')).toBe(String(process.pid));
    }
    expect(readFileSync(path.join(v1, 'cpuset', 'kcloud.vms', 'cpuset.cpus'), 'utf8')).toBe(
      '0-1\n',
    );
  });

  it('removes the empty cgroups of other VMs under the parent, and nothing else', () => {
    const v2 = fakeRoot('v2');
    const parent = path.join(v2, 'kcloud.vms');
    const gone = '11111111-2222-3333-4444-555555555555';
    const busy = '66666666-7777-8888-9999-000000000000';
    mkdirSync(path.join(parent, gone), { recursive: true });
    mkdirSync(path.join(parent, busy));
    // On a cgroup filesystem rmdir fails while processes are in it; here, while a file is.
    writeFileSync(path.join(parent, busy, 'cgroup.procs'), '42\n');
    mkdirSync(path.join(parent, 'not-a-vm'));
    enterCgroup(v2, `kcloud.vms/${uid}`);
    expect(existsSync(path.join(parent, gone))).toBe(false);
    expect(existsSync(path.join(parent, busy))).toBe(true);
    expect(existsSync(path.join(parent, 'not-a-vm'))).toBe(true);
    expect(existsSync(path.join(parent, uid))).toBe(true);
  });
});
