// How busy the whole machine was over a phase, from the first line of /proc/stat: what other
// work (and the children the agent runs, which no one process's CPU time shows) cost.
import { readFileSync } from 'node:fs';

export interface CpuTicks {
  busy: number;
  total: number;
}

/** Busy and total ticks from the `cpu ` line of /proc/stat (idle and iowait are not busy). */
export function parseCpuTicks(procStat: string): CpuTicks {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  const fields = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) {
    throw new Error(`no cpu line in /proc/stat: ${procStat.slice(0, 80)}`);
  }
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export function readCpuTicks(): CpuTicks {
  return parseCpuTicks(readFileSync('/proc/stat', 'utf8'));
}

/** The busy fraction (0–1) of all cores between two readings. */
export function busyFraction(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : NaN;
}

/**
 * CPU seconds of the children a process has waited for (cutime + cstime of /proc/<pid>/stat):
 * the qemu-img and rbd runs of the agent or of a baseline loop, which its own time leaves out.
 */
export function childrenCpuSeconds(procPidStat: string): number {
  // The command name, in parentheses, may hold spaces: count fields after its closing one.
  const fields = procPidStat.slice(procPidStat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) {
    throw new Error(`not a /proc/<pid>/stat line: ${procPidStat.slice(0, 80)}`);
  }
  return (cutime + cstime) / 100;
}

/** The children's CPU seconds of `pid`; undefined once it is gone. */
export function childrenCpu(pid: number): number | undefined {
  try {
    return childrenCpuSeconds(readFileSync(`/proc/${String(pid)}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
