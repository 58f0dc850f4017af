// The decision on disk in the agent's state dir, so a restart does not boot again. It is keyed
// by what could change it: the host kernel (the KVM module comes with it), QEMU, the probe
// kernel and the device path. A file that does not parse or has another key is ignored.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../../controllers/host/index.ts';
import type { HypervisorDecision } from './types.ts';

export const cacheFile = 'hypervisor-probe.json';
export const consoleLogFile = 'hypervisor-probe-console.log';

export interface ProbeKeyParts {
  hostKernel: string;
  qemuVersion: string;
  probeKernel: string;
  kvmDevice: string;
}

export interface CachedDecision {
  key: string;
  parts: ProbeKeyParts;
  probedAt: string;
  decision: HypervisorDecision;
}

export function probeKey(parts: ProbeKeyParts): string {
  const canonical = JSON.stringify([
    parts.hostKernel,
    parts.qemuVersion,
    parts.probeKernel,
    parts.kvmDevice,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export async function readCachedDecision(
  stateDir: string,
  key: string,
): Promise<CachedDecision | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, cacheFile), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const c = JSON.parse(text) as Partial<Omit<CachedDecision, 'decision'>> & {
      decision?: { hypervisor?: unknown; reason?: unknown };
    };
    const d = c.decision;
    if (
      c.key !== key ||
      typeof c.probedAt !== 'string' ||
      d === undefined ||
      (d.hypervisor !== 'kvm' && d.hypervisor !== 'tcg') ||
      typeof d.reason !== 'string'
    ) {
      return undefined;
    }
    return c as CachedDecision;
  } catch {
    return undefined;
  }
}

/** A file of the agent's state dir, readable by whoever reads the state dir. */
export function writeStateFile(stateDir: string, name: string, text: string): Promise<void> {
  return writeFileAtomic(path.join(stateDir, name), text, 0o644);
}

export async function writeCachedDecision(stateDir: string, c: CachedDecision): Promise<void> {
  await writeStateFile(stateDir, cacheFile, JSON.stringify(c, null, 2) + '\n');
}
