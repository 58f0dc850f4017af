import os from 'node:os';

/**
 * The machine a benchmark ran on: cores, memory, kernel, and the 1-minute load average before
 * the run (other work on the machine slows everything measured; this shows if there was any).
 */
export function machineLine(): string {
  const cpus = os.cpus();
  const gib = Math.round(os.totalmem() / 2 ** 30);
  const load = os.loadavg()[0] ?? 0;
  return `${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${gib} GiB, Linux ${os.release()}, load average ${load.toFixed(2)} before the run`;
}
