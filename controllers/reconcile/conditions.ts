/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'>;

/**
 * Sets one condition in a list, returning a new list. lastTransitionTime changes only when the
 * status changes, so a condition rewritten with the same status does not look like news (and a
 * reconcile that changes nothing writes nothing).
 */
export function setCondition(
  conditions: Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const existing = list.find((c) => c.type === update.type);
  const next: Condition = {
    ...update,
    lastTransitionTime:
      existing && existing.status === update.status
        ? existing.lastTransitionTime
        : now.toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  return existing ? list.map((c) => (c.type === update.type ? next : c)) : [...list, next];
}

export function getCondition(
  conditions: Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/**
 * The three conditions every kcloud object carries, readable by kstatus
 * (sigs.k8s.io/cli-utils), Argo CD and Flux as well as by people:
 *
 * - `Ready`: the backend matches the spec of `observedGeneration`.
 * - `Reconciling`: work for the object is in progress and goes on by itself (a retry after a
 *   backend failure, a deletion waiting for dependents or for its backend, a backend that
 *   cannot be reached, looked at again later).
 * - `Stalled`: the controller cannot go on until a human changes something (bad input, a
 *   conflict with another object); it will not retry on its own.
 *
 * Reconciling and Stalled are never True at once, and both are False on Ready=True. All three
 * are always present (False rather than absent), each with the generation it was computed from.
 */
export const ReadyCondition = 'Ready';
export const ReconcilingCondition = 'Reconciling';
export const StalledCondition = 'Stalled';

/** How a reconcile ended, in the terms of the three conditions. */
export type Outcome =
  /** The backend matches the spec. */
  | { state: 'Ready'; reason: string; message: string }
  /** Not there yet; the controller goes on by itself (retry, requeue, waiting on others). */
  | { state: 'Reconciling'; reason: string; message: string }
  /** Cannot go on until the spec (or another object) is changed by a human. */
  | { state: 'Stalled'; reason: string; message: string }
  /**
   * The backend cannot be reached (its host's heartbeat is lost), so nobody knows whether it
   * matches: Ready=Unknown, and the controller looks again by itself.
   */
  | { state: 'Unknown'; reason: string; message: string };

/** The status of a condition that reports an outcome: True, False, or Unknown. */
export function outcomeStatus(outcome: Outcome): Condition['status'] {
  return outcome.state === 'Ready' ? 'True' : outcome.state === 'Unknown' ? 'Unknown' : 'False';
}

/**
 * Sets Ready, Reconciling and Stalled for one outcome of a reconcile of `generation`. Each
 * condition's lastTransitionTime moves only when its status changes (see setCondition).
 */
export function setOutcomeConditions(
  conditions: Condition[] | undefined,
  outcome: Outcome,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const { state, reason, message } = outcome;
  const at = (c: Omit<ConditionUpdate, 'observedGeneration'>): ConditionUpdate =>
    generation === undefined ? c : { ...c, observedGeneration: generation };
  const updates: ConditionUpdate[] = [
    at({ type: ReadyCondition, status: outcomeStatus(outcome), reason, message }),
    at(
      state === 'Reconciling' || state === 'Unknown'
        ? { type: ReconcilingCondition, status: 'True', reason, message }
        : state === 'Stalled'
          ? {
              type: ReconcilingCondition,
              status: 'False',
              reason: 'Stalled',
              message: 'the controller waits for a change; see Stalled',
            }
          : {
              type: ReconcilingCondition,
              status: 'False',
              reason: 'Succeeded',
              message: 'the last reconcile succeeded',
            },
    ),
    at(
      state === 'Stalled'
        ? { type: StalledCondition, status: 'True', reason, message }
        : state === 'Reconciling' || state === 'Unknown'
          ? {
              type: StalledCondition,
              status: 'False',
              reason: 'Retrying',
              message: 'the controller retries by itself',
            }
          : {
              type: StalledCondition,
              status: 'False',
              reason: 'Succeeded',
              message: 'the last reconcile succeeded',
            },
    ),
  ];
  let list = conditions;
  for (const u of updates) list = setCondition(list, u, now);
  return list ?? [];
}

/**
 * The `status.observedGeneration` to write after an outcome: the generation once the reconcile
 * of it came to a conclusion (Ready, or Stalled waiting for a human), the previous value while
 * work goes on or the backend cannot be reached. kstatus reads a lagging observedGeneration as
 * "in progress", so a change is never taken as applied before the controller has finished
 * with it.
 */
export function observedGenerationAfter(
  outcome: Outcome,
  generation: number | undefined,
  previous: number | undefined,
): number | undefined {
  return outcome.state === 'Ready' || outcome.state === 'Stalled' ? generation : previous;
}
