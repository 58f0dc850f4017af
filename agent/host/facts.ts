// What the agent learns about its machine at start: resources, CPU, its own version; the
// hypervisor follows when the probe boot ends (it takes seconds, so the Host is registered
// first and reports ProbingHypervisor meanwhile).
import os from 'node:os';
import { errorMessage, type Logger } from '../../controllers/index.ts';
import { hostResources, type CapacityOptions } from './capacity.ts';
import { cpuArch, cpuModel } from './cpu.ts';
import {
  resolveHypervisor,
  type HypervisorMode,
  type ProbeHypervisorOptions,
} from './hypervisor/index.ts';
import type { HostFacts } from './report.ts';

export async function machineFacts(
  opts: CapacityOptions & { agentVersion: string },
): Promise<HostFacts> {
  return {
    resources: hostResources({ cpus: os.availableParallelism(), memoryBytes: os.totalmem() }, opts),
    reservedMemoryBytes: opts.reservedMemoryBytes,
    cpu: { model: await cpuModel(), arch: cpuArch() },
    agentVersion: opts.agentVersion,
    hypervisor: { state: 'probing' },
  };
}

/**
 * Decides the hypervisor (`--hypervisor`: a probe boot, or the operator's word), records it in
 * `facts` and calls `changed`. The probe reports every problem it can name as tcg with a
 * reason; anything else it throws is recorded as a failed probe.
 */
export async function decideHypervisor(
  facts: HostFacts,
  mode: HypervisorMode,
  probe: ProbeHypervisorOptions,
  log: Logger,
  changed: () => void,
): Promise<void> {
  try {
    const result = await resolveHypervisor(mode, probe);
    facts.hypervisor = { state: 'probed', result };
    log.info('hypervisor decided', { hypervisor: result.hypervisor, reason: result.reason });
  } catch (err) {
    facts.hypervisor = { state: 'failed', error: errorMessage(err) };
    log.error('hypervisor probe failed', { error: errorMessage(err) });
  }
  changed();
}
