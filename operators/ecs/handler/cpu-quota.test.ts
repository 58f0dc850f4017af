import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CpuQuotas, quotaUs } from './cpu-quota.ts';

/** A cgroup v1 cpu hierarchy and a /proc in a folder: the agent and QEMU in the root cgroup. */
async function world(qemuCgroup = '/') {
  const dir = await mkdtemp(path.join(tmpdir(), 'kcloud-cpuquota-'));
  const fs = path.join(dir, 'cgroup');
  const proc = path.join(dir, 'proc');
  await mkdir(path.join(fs, 'cpu'), { recursive: true });
  await writeFile(path.join(fs, 'cpu', 'cgroup.procs'), '');
  await writeFile(path.join(fs, 'cpu', 'cpu.cfs_quota_us'), '-1');
  for (const [pid, where] of [
    [process.pid, '/'],
    [4242, qemuCgroup],
  ] as const) {
    await mkdir(path.join(proc, String(pid)), { recursive: true });
    await writeFile(
      path.join(proc, String(pid), 'cgroup'),
      `4:memory:/x\n2:cpuacct:/\n1:cpu:${where}\n0::/\n`,
    );
  }
  return { fs, proc, quotas: new CpuQuotas({ cgroupFs: fs, parent: 'kcloud-vms', proc }) };
}

describe('CPU quotas', () => {
  it('are vCPUs × percent of the 100 ms period', () => {
    expect(quotaUs(2, 20)).toBe(40_000);
    expect(quotaUs(1, 100)).toBe(100_000);
  });

  it('move a QEMU that shares the agent’s cgroup into one of its own, and limit it there', async () => {
    const w = await world();
    await w.quotas.apply('uid-1', 4242, 2, 50);
    const vm = path.join(w.fs, 'cpu', 'kcloud-vms', 'uid-1');
    expect(await readFile(path.join(vm, 'cgroup.procs'), 'utf8')).toBe('4242');
    expect(await readFile(path.join(vm, 'cpu.cfs_quota_us'), 'utf8')).toBe('100000');
    expect(await readFile(path.join(vm, 'cpu.cfs_period_us'), 'utf8')).toBe('100000');
  });

  it('limit a QEMU where its launcher put it, and lift a quota taken away', async () => {
    const w = await world('/kcloud/uid-2');
    const own = path.join(w.fs, 'cpu', 'kcloud', 'uid-2');
    await mkdir(own, { recursive: true });
    await w.quotas.apply('uid-2', 4242, 1, 30);
    expect(await readFile(path.join(own, 'cpu.cfs_quota_us'), 'utf8')).toBe('30000');
    expect(await w.quotas.applied('uid-2', 4242)).toBe(30_000);
    await w.quotas.apply('uid-2', 4242, 1, undefined);
    expect(await readFile(path.join(own, 'cpu.cfs_quota_us'), 'utf8')).toBe('-1');
    expect(await w.quotas.applied('uid-2', 4242)).toBeUndefined();
  });

  it('say so when no hierarchy has the cpu controller, and ask nothing of a VM without quota', async () => {
    const w = new CpuQuotas({ cgroupFs: '/nonexistent', parent: 'kcloud-vms' });
    await expect(w.apply('uid-3', 1, 1, 20)).rejects.toThrow(
      "the Flavor's cpuQuotaPercent cannot be enforced on this host: no cgroup hierarchy with the cpu controller under /nonexistent",
    );
    await expect(w.apply('uid-3', 1, 1, undefined)).resolves.toBeUndefined();
    await expect(w.remove('uid-3')).resolves.toBeUndefined();
  });
});
