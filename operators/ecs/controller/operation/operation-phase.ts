// An InstanceOperation's phase from the summary of the manager's Scheduled and the agent's
// Executed: Pending until it is bound and the agent has started it, Running while it runs,
// then Succeeded or Failed for good.
import type { PhaseSummary } from '../../../../controllers/external/index.ts';
import type { Condition } from '../../../../controllers/reconcile/index.ts';
import {
  executedCondition,
  operationFailureReasons,
  scheduledCondition,
  type InstanceOperationObject,
} from '../../api/index.ts';

const failures: ReadonlySet<string> = new Set(operationFailureReasons);

/** The agent's Executed=False reasons that end the operation in failure (Stalled). */
export function operationFailed(condition: Condition): boolean {
  return condition.type === executedCondition && failures.has(condition.reason);
}

export function operationPhase(op: InstanceOperationObject, s: PhaseSummary): string {
  // Deleting an operation undoes nothing: it keeps saying how it went.
  if (s.deleting) return op.status?.phase ?? 'Pending';
  switch (s.outcome.state) {
    case 'Ready':
      return 'Succeeded';
    case 'Stalled':
      return 'Failed';
    case 'Unknown':
    case 'Reconciling':
      if (s.decidedBy === scheduledCondition && s.outcome.state === 'Reconciling') {
        return 'Pending';
      }
      // The agent's record (also while its host is out of reach): an end it wrote with a failure is a failure, whatever the reason.
      if (op.status?.completionTime !== undefined) return 'Failed';
      return op.status?.startTime !== undefined ? 'Running' : 'Pending';
  }
}
