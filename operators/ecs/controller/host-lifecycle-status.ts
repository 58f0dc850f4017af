// What the manager says about a Host, from its heartbeat Lease, the agent's AgentReady and the
// cordon: a pure function of the objects and the time, so unit tests drive it with a fake clock.
import {
  getCondition,
  parseTime,
  type ConditionUpdate,
  type Lease,
} from '../../../controllers/index.ts';
import {
  agentReadyCondition,
  schedulableCondition,
  type HostObject,
  type HostStatus,
} from '../api/index.ts';

export interface HostLifecycleInput {
  host: HostObject;
  /** The host's heartbeat Lease, if there is one. */
  lease: Lease | undefined;
  /** Where heartbeat Leases live, for messages. */
  hostsNamespace: string;
  /** Now, in epoch milliseconds. */
  now: number;
  /** How long past the Lease's own duration a heartbeat may be late before the host is lost. */
  gracePeriodMs: number;
}

export interface HostLifecycle {
  phase: NonNullable<HostStatus['phase']>;
  ready: ConditionUpdate;
  schedulable: ConditionUpdate;
  /**
   * When the heartbeat is fresh: milliseconds until it would be lost, so the host is looked at
   * again exactly then and not polled.
   */
  recheckAfterMs?: number;
}

/**
 * When the heartbeat in `lease` is lost: its last renewal (or acquisition) plus its duration
 * plus the grace period. Undefined when the Lease carries no time at all.
 */
export function heartbeatDeadline(lease: Lease, gracePeriodMs: number): number | undefined {
  const renewed = parseTime(lease.spec?.renewTime ?? lease.spec?.acquireTime);
  if (renewed === undefined) return undefined;
  return renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 + gracePeriodMs;
}

function readyOf(input: HostLifecycleInput): Omit<HostLifecycle, 'schedulable'> {
  const { host, lease, now } = input;
  const name = host.metadata.name ?? '';
  const agent = getCondition(host.status?.conditions, agentReadyCondition);
  const where = `${input.hostsNamespace}/${name}`;
  if (!lease) {
    return {
      phase: agent ? 'Unknown' : 'Pending',
      ready: {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NoHeartbeat',
        message: `no heartbeat Lease ${where}: start kcloud-agent on the host with --host-name=${name}`,
      },
    };
  }
  const deadline = heartbeatDeadline(lease, input.gracePeriodMs);
  if (deadline === undefined || now >= deadline) {
    const last = lease.spec?.renewTime ?? lease.spec?.acquireTime ?? 'never';
    return {
      phase: 'Unknown',
      ready: {
        type: 'Ready',
        status: 'Unknown',
        reason: 'HeartbeatLost',
        message: `the agent last renewed its heartbeat Lease ${where} at ${last}, longer ago than the Lease's ${String(lease.spec?.leaseDurationSeconds ?? 0)} s and the grace period of ${String(input.gracePeriodMs / 1000)} s: is kcloud-agent running on ${name}?`,
      },
    };
  }
  const recheckAfterMs = deadline - now;
  if (!agent) {
    return {
      phase: 'Pending',
      recheckAfterMs,
      ready: {
        type: 'Ready',
        status: 'Unknown',
        reason: 'AgentNotReported',
        message: `the agent heartbeats but has not reported the host's ${agentReadyCondition} condition yet`,
      },
    };
  }
  if (agent.status !== 'True') {
    return {
      phase: 'NotReady',
      recheckAfterMs,
      ready: {
        type: 'Ready',
        status: 'False',
        reason: 'AgentNotReady',
        message: `the agent reports ${agentReadyCondition}=${agent.status} (${agent.reason}): ${agent.message}`,
      },
    };
  }
  return {
    phase: 'Ready',
    recheckAfterMs,
    ready: {
      type: 'Ready',
      status: 'True',
      reason: 'HostReady',
      message: 'the agent heartbeats and reports the host ready',
    },
  };
}

/** The manager's part of a Host's status, and when to look again. */
export function hostLifecycle(input: HostLifecycleInput): HostLifecycle {
  const { phase, ready, recheckAfterMs } = readyOf(input);
  const name = input.host.metadata.name ?? '';
  const generation = input.host.metadata.generation;
  const at = (c: ConditionUpdate): ConditionUpdate =>
    generation === undefined ? c : { ...c, observedGeneration: generation };
  const schedulable: ConditionUpdate = input.host.spec.unschedulable
    ? {
        type: schedulableCondition,
        status: 'False',
        reason: 'Cordoned',
        message: `spec.unschedulable is true: nothing new is placed here; uncordon with kubectl patch host ${name} --type=merge -p '{"spec":{"unschedulable":false}}'`,
      }
    : ready.status !== 'True'
      ? {
          type: schedulableCondition,
          status: 'False',
          reason: 'HostNotReady',
          message: `the host is not Ready (${ready.reason})`,
        }
      : {
          type: schedulableCondition,
          status: 'True',
          reason: 'Schedulable',
          message: 'the host is Ready and not cordoned',
        };
  return {
    phase,
    ready: at(ready),
    schedulable: at(schedulable),
    ...(recheckAfterMs !== undefined ? { recheckAfterMs } : {}),
  };
}
