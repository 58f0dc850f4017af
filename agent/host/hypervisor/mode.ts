// The agent's --hypervisor flag: `auto` probes; `kvm` and `tcg` are an operator's word and
// skip the probe (for a host whose answer is known, or to force TCG on a host with KVM).
import { probeHypervisor } from './probe.ts';
import type { HypervisorDecision, ProbeHypervisorOptions } from './types.ts';

export type HypervisorMode = 'kvm' | 'tcg' | 'auto';

export function parseHypervisorMode(flag: string, value: string): HypervisorMode {
  if (value === 'kvm' || value === 'tcg' || value === 'auto') return value;
  throw new Error(
    `${flag}=${value}: give kvm, tcg or auto (auto probes the host with a short boot)`,
  );
}

export async function resolveHypervisor(
  mode: HypervisorMode,
  opts: ProbeHypervisorOptions,
): Promise<HypervisorDecision> {
  if (mode === 'auto') return probeHypervisor(opts);
  return { hypervisor: mode, reason: `set by --hypervisor=${mode}` };
}
