import type { Condition, Outcome } from './conditions.ts';

/** One part of an object's readiness: a condition type and what it says for this generation. */
export interface SummaryPart {
  type: string;
  outcome: Outcome;
}

/** Ready as the sum of its parts. */
export interface Summary {
  /** Ready when every part is; otherwise the first part that is not, with its reason. */
  outcome: Outcome;
  /** The condition type that decided a summary other than Ready. */
  decidedBy?: string;
}

/**
 * What another writer's condition says for `generation`, as an outcome. A condition that is
 * missing, or was written for another generation, says nothing yet about this one: it reads as
 * waiting (`WaitingFor<Type>`, Reconciling), never as its old value. True is Ready, Unknown is
 * Unknown, and False is Reconciling (the other writer goes on by itself) unless `stalled` says
 * its reason waits for a human.
 */
export function contributionOutcome(
  type: string,
  condition: Condition | undefined,
  generation: number | undefined,
  stalled?: (condition: Condition) => boolean,
): Outcome {
  if (!condition) {
    return {
      state: 'Reconciling',
      reason: `WaitingFor${type}`,
      message: `${type} is not reported yet`,
    };
  }
  if (generation !== undefined && condition.observedGeneration !== generation) {
    return {
      state: 'Reconciling',
      reason: `WaitingFor${type}`,
      message: `${type} is not reported for generation ${String(generation)} yet (last for ${String(condition.observedGeneration ?? 'none')})`,
    };
  }
  const { reason, message } = condition;
  if (condition.status === 'True') return { state: 'Ready', reason, message };
  if (condition.status === 'Unknown') return { state: 'Unknown', reason, message };
  return { state: stalled?.(condition) ? 'Stalled' : 'Reconciling', reason, message };
}

/**
 * Sums parts up as Cluster API summarises conditions into Ready: Ready when every part is
 * Ready, else the first part (in the order given) that is not decides the state, reason and
 * message.
 */
export function summarize(parts: readonly SummaryPart[]): Summary {
  const first = parts.find((p) => p.outcome.state !== 'Ready');
  if (first) return { outcome: first.outcome, decidedBy: first.type };
  return {
    outcome: {
      state: 'Ready',
      reason: 'Available',
      message: `every part is True for this generation: ${parts.map((p) => p.type).join(', ')}`,
    },
  };
}
