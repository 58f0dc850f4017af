// A Flavor's CPU quota, enforced by the kernel: the VM's QEMU in a cgroup of its own whose CPU
// bandwidth is its vCPUs × the quota (cgroup v1 cpu.cfs_quota_us, v2 cpu.max). QEMU started
// in the agent's own cgroup is moved into <parent>/<uid>; one a launcher already gave a cgroup
// of its own (the chart's) is limited where it is. A cgroup the agent cannot write to is an
// error saying so: a VM never runs without the quota it was given.
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ReconcileError } from '../../../controllers/external/index.ts';

/** The scheduler's period: quotas are microseconds of CPU per 100 ms. */
export const cpuPeriodUs = 100_000;

/** Microseconds per period for `vcpus` vCPUs at `percent` each. */
export function quotaUs(vcpus: number, percent: number): number {
  return Math.round((vcpus * percent * cpuPeriodUs) / 100);
}

export interface CpuQuotaOptions {
  /** Where the cgroup filesystem is mounted (/sys/fs/cgroup). */
  cgroupFs: string;
  /** The folder, below the CPU hierarchy's root, of the cgroups the agent makes for VMs. */
  parent: string;
  /** /proc, for a process's cgroups (tests give another). */
  proc?: string;
}

interface Hierarchy {
  version: 1 | 2;
  /** The hierarchy's root folder (the cpu controller's on v1). */
  root: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

const notEnforced = (message: string, cause?: unknown) =>
  new ReconcileError(
    'CpuQuotaNotEnforced',
    `the Flavor's cpuQuotaPercent cannot be enforced on this host: ${message}`,
    cause === undefined ? {} : { cause },
  );

export class CpuQuotas {
  private readonly opts: CpuQuotaOptions;

  constructor(opts: CpuQuotaOptions) {
    this.opts = opts;
  }

  private async hierarchy(): Promise<Hierarchy> {
    const fs = this.opts.cgroupFs;
    if (await exists(path.join(fs, 'cgroup.controllers'))) return { version: 2, root: fs };
    for (const name of ['cpu', 'cpu,cpuacct']) {
      const root = path.join(fs, name);
      if (await exists(path.join(root, 'cgroup.procs'))) return { version: 1, root };
    }
    throw notEnforced(`no cgroup hierarchy with the cpu controller under ${fs}`);
  }

  /** The process's cgroup in the hierarchy, as a path below its root. */
  private async cgroupOf(pid: number, h: Hierarchy): Promise<string> {
    const text = await readFile(
      path.join(this.opts.proc ?? '/proc', String(pid), 'cgroup'),
      'utf8',
    );
    for (const line of text.split('\n')) {
      const [, controllers = '', where = ''] = line.split(':');
      const match = h.version === 2 ? controllers === '' : controllers.split(',').includes('cpu');
      if (match && line !== '') return where;
    }
    throw notEnforced(`process ${String(pid)} is in no cpu cgroup`);
  }

  /** The folder of the VM's cgroup; QEMU is moved there when it shares the agent's. */
  private async place(uid: string, pid: number, h: Hierarchy): Promise<string> {
    const own = await this.cgroupOf(process.pid, h);
    const qemu = await this.cgroupOf(pid, h);
    if (qemu.startsWith('/..')) {
      throw notEnforced(`QEMU's cgroup ${qemu} is outside the agent's view of ${h.root}`);
    }
    if (qemu !== own) return path.join(h.root, qemu);
    const parent = path.join(h.root, this.opts.parent);
    const dir = path.join(parent, uid);
    try {
      await mkdir(dir, { recursive: true });
      if (h.version === 2) {
        // The cpu controller must reach the VM's cgroup through every level above it.
        for (const level of [h.root, parent]) {
          await writeFile(path.join(level, 'cgroup.subtree_control'), '+cpu');
        }
      }
      await writeFile(path.join(dir, 'cgroup.procs'), String(pid));
    } catch (err) {
      throw notEnforced(`making ${dir} and moving QEMU (pid ${String(pid)}) there failed`, err);
    }
    return dir;
  }

  /**
   * Limits QEMU (pid) to `vcpus` × `percent` % of a CPU, or lifts the limit (`percent`
   * undefined) where one was set.
   */
  async apply(uid: string, pid: number, vcpus: number, percent: number | undefined): Promise<void> {
    if (percent === undefined) {
      // Nothing asked: only a quota set before is lifted (a host without cgroups has none).
      const before = await this.applied(uid, pid).catch(() => undefined);
      if (before === undefined) return;
    }
    const h = await this.hierarchy();
    const dir = await this.place(uid, pid, h);
    const quota = percent === undefined ? undefined : quotaUs(vcpus, percent);
    try {
      if (h.version === 2) {
        await writeFile(
          path.join(dir, 'cpu.max'),
          `${quota === undefined ? 'max' : String(quota)} ${String(cpuPeriodUs)}`,
        );
      } else {
        await writeFile(path.join(dir, 'cpu.cfs_period_us'), String(cpuPeriodUs));
        await writeFile(path.join(dir, 'cpu.cfs_quota_us'), String(quota ?? -1));
      }
    } catch (err) {
      throw notEnforced(`writing the quota into ${dir} failed`, err);
    }
  }

  /** The quota QEMU runs under now, in µs per period; undefined: none. */
  async applied(_uid: string, pid: number): Promise<number | undefined> {
    const h = await this.hierarchy();
    const dir = path.join(h.root, await this.cgroupOf(pid, h));
    try {
      if (h.version === 2) {
        const [quota = 'max'] = (await readFile(path.join(dir, 'cpu.max'), 'utf8'))
          .trim()
          .split(' ');
        return quota === 'max' ? undefined : Number(quota);
      }
      const quota = Number((await readFile(path.join(dir, 'cpu.cfs_quota_us'), 'utf8')).trim());
      return quota < 0 ? undefined : quota;
    } catch {
      return undefined;
    }
  }

  /** Removes the cgroup made for the VM (once its QEMU is gone); one never made is fine. */
  async remove(uid: string): Promise<void> {
    let h: Hierarchy;
    try {
      h = await this.hierarchy();
    } catch {
      return;
    }
    try {
      await rmdir(path.join(h.root, this.opts.parent, uid));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw err;
    }
  }
}
