// What the machine did while one side's VMs booted: how busy all cores were, and the CPU time of
// the processes besides the VMs (control plane, OVN, kcloud's manager and agent, the bench),
// summed over every span the side ran. Both sides boot the same guest, so this is what shows
// whether one side's guests had less of the machine.
import { busyFraction, readCpuTicks } from '../evs/busy.ts';
import { cpuByName } from '../vpc/cpu.ts';
import { growth } from '../vpc/metrics.ts';

export interface LoadFigures {
  /** Share (0–1) of all cores busy. */
  busy: number;
  /** Wall time the side ran. */
  elapsedMs: number;
  /** CPU seconds per process name over those spans. */
  cpuSeconds: Map<string, number>;
}

export class SideLoad {
  private busyTicks = 0;
  private totalTicks = 0;
  private elapsedMs = 0;
  private readonly cpu = new Map<string, number>();
  private readonly pids: () => ReadonlyMap<string, number>;

  constructor(pids: () => ReadonlyMap<string, number>) {
    this.pids = pids;
  }

  async over<T>(fn: () => Promise<T>): Promise<T> {
    const ticks = readCpuTicks();
    const cpu = cpuByName(this.pids());
    const started = Date.now();
    try {
      return await fn();
    } finally {
      const after = readCpuTicks();
      this.busyTicks += after.busy - ticks.busy;
      this.totalTicks += after.total - ticks.total;
      this.elapsedMs += Date.now() - started;
      for (const [k, v] of growth(cpuByName(this.pids()), cpu)) {
        this.cpu.set(k, (this.cpu.get(k) ?? 0) + v);
      }
    }
  }

  figures(): LoadFigures {
    return {
      busy: busyFraction({ busy: 0, total: 0 }, { busy: this.busyTicks, total: this.totalTicks }),
      elapsedMs: this.elapsedMs,
      cpuSeconds: new Map(this.cpu),
    };
  }
}
