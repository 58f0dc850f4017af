// What the agent says about its host in the Host's status: the machine's resources and CPU,
// the hypervisor a probe boot chose, its own version, and AgentReady, which tells the manager
// whether the agent can do its work here.
import type { ConditionUpdate, OwnStatus } from '../../controllers/index.ts';
import { agentReadyCondition } from '../../operators/ecs/api/index.ts';
import { formatBytes, type HostResources } from './capacity.ts';
import type { CpuArch } from './cpu.ts';

export type Hypervisor = 'kvm' | 'tcg';

export interface HypervisorProbe {
  hypervisor: Hypervisor;
  reason: string;
}

/** What the agent knows about its machine; hypervisor is filled in when the probe ends. */
export interface HostFacts {
  resources: HostResources;
  reservedMemoryBytes: number;
  cpu: { model: string; arch: CpuArch };
  agentVersion: string;
  hypervisor:
    | { state: 'not-probed' }
    | { state: 'probing' }
    | { state: 'probed'; result: HypervisorProbe }
    | { state: 'failed'; error: string };
}

/** The status fields the agent owns, every one of them (so a field it stops setting goes). */
export const agentStatusFields = [
  'capacity',
  'allocatable',
  'cpu',
  'hypervisor',
  'agentVersion',
] as const;

function agentReady(facts: HostFacts): ConditionUpdate {
  const { resources } = facts;
  if (resources.allocatable.memoryBytes === 0) {
    return {
      type: agentReadyCondition,
      status: 'False',
      reason: 'ReservedMemoryTooLarge',
      message: `--reserved-memory=${formatBytes(facts.reservedMemoryBytes)} leaves no memory for instances on a host with ${resources.capacity.memory}: lower it`,
    };
  }
  const h = facts.hypervisor;
  if (h.state === 'probing') {
    return {
      type: agentReadyCondition,
      status: 'Unknown',
      reason: 'ProbingHypervisor',
      message: 'a short probe boot decides whether guests run under KVM or TCG',
    };
  }
  if (h.state === 'failed') {
    return {
      type: agentReadyCondition,
      status: 'False',
      reason: 'HypervisorProbeFailed',
      message: `the hypervisor probe boot failed: ${h.error}`,
    };
  }
  return {
    type: agentReadyCondition,
    status: 'True',
    reason: 'AgentReady',
    message:
      h.state === 'probed'
        ? `kcloud-agent ${facts.agentVersion} reports this host; guests run under ${h.result.hypervisor}: ${h.result.reason}`
        : `kcloud-agent ${facts.agentVersion} reports this host; no hypervisor probe ran`,
  };
}

/** The agent's part of a Host's status. */
export function agentStatus(facts: HostFacts): OwnStatus {
  return {
    fields: {
      capacity: facts.resources.capacity,
      allocatable: facts.resources.allocatable,
      cpu: facts.cpu,
      hypervisor:
        facts.hypervisor.state === 'probed' ? facts.hypervisor.result.hypervisor : undefined,
      agentVersion: facts.agentVersion,
    },
    conditions: [agentReady(facts)],
  };
}
