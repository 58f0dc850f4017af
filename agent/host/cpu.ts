// The host's CPU as the Host reports it: the model from /proc/cpuinfo, the architecture in the
// names QEMU and distributions use (x86_64, aarch64) rather than Node's (x64, arm64).
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export type CpuArch = 'x86_64' | 'aarch64' | 'other';

export function cpuArch(nodeArch: string = process.arch): CpuArch {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return 'other';
}

/**
 * The CPU model in /proc/cpuinfo text: x86 says `model name`; arm64 kernels often have none,
 * so `Model` or `Hardware` (the SoC) is taken; undefined when the text names no model.
 */
export function cpuModelOf(cpuinfo: string): string | undefined {
  for (const key of ['model name', 'Model', 'Hardware']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo);
    const model = m?.[1]?.trim();
    if (model) return model;
  }
  return undefined;
}

/** The model of this machine's CPU: /proc/cpuinfo, else what Node reports, else "unknown". */
export async function cpuModel(cpuinfoPath = '/proc/cpuinfo'): Promise<string> {
  const text = await readFile(cpuinfoPath, 'utf8').catch(() => '');
  return cpuModelOf(text) ?? (os.cpus()[0]?.model.trim() || 'unknown');
}
