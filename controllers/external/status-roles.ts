// Which part of an object's status a controller on the shared reconcile writes. Most objects
// have one writer; an object that a manager schedules and a host agent makes real has two,
// each with its own field manager and conditions, and Ready sums them up as in Cluster API.
import {
  contributionOutcome,
  getCondition,
  observedGenerationAfter,
  outcomeStatus,
  ReadyCondition,
  ReconcilingCondition,
  setCondition,
  setOutcomeConditions,
  StalledCondition,
  summarize,
  type Condition,
  type ConditionUpdate,
  type Outcome,
  type StatusOwnership,
  type Summary,
} from '../reconcile/index.ts';

/** The only writer of the status: what every product had before hosts came along. */
export interface SingleWriter {
  kind: 'single';
  /**
   * The product's word for a phase the shared reconcile proposes (Ready, Pending, Failed, ...)
   * given the outcome, e.g. `Active` for Ready; by default the proposed one.
   */
  phase?: (proposed: string, outcome: Outcome) => string;
}

/**
 * One of several writers (a host agent making the object real). It owns one condition (e.g.
 * `Provisioned`), written with the generation it describes, and its own product fields; never
 * Ready, Reconciling, Stalled, phase or observedGeneration. Its outcome reads: done → True
 * (reason: the condition's type), at work or retrying → False with the reason, a failure that
 * waits for a human → False with the reason, backend unreachable → Unknown with the reason.
 */
export interface ContributingWriter {
  kind: 'contributor';
  condition: string;
}

/** What the summarizing writer's phase callback gets. */
export interface PhaseSummary extends Summary {
  /** The phase the shared reconcile proposes: Ready, Provisioning, Failed, Unknown, Deleting. */
  phase: string;
  deleting: boolean;
}

/**
 * The writer that sums up (the manager that schedules): it owns the condition of its own
 * outcome (e.g. `Scheduled`), plus Ready, Reconciling, Stalled, phase and observedGeneration.
 * Ready is its own outcome and the contributing conditions summed up: all True for this
 * generation → True; else the first that is not decides the reason and message, and a
 * contributing condition missing or written for another generation reads as waiting
 * (`WaitingFor<Type>`, Reconciling). observedGeneration moves when the sum is Ready, or
 * Stalled (the first part not Ready waits for a human, so nothing behind it can move either).
 */
export interface SummarizingWriter<T> {
  kind: 'summarizer';
  condition: string;
  /** The other writers' conditions, in the order they are read (e.g. `['Provisioned']`). */
  contributors: readonly string[];
  /** The product's phase for a summary; by default `summary.phase`. */
  phase?: (obj: T, summary: PhaseSummary) => string;
  /**
   * Which False contributing conditions wait for a human (Stalled) rather than going on by
   * themselves: the product knows its other writer's reasons. By default none.
   */
  stalled?: (condition: Condition) => boolean;
}

export type StatusRole<T> = SingleWriter | ContributingWriter | SummarizingWriter<T>;

const outcomeTypes = [ReadyCondition, ReconcilingCondition, StalledCondition];

/** What a reconcile concluded, before it is written in a role's terms. */
export interface Conclusion {
  outcome: Outcome;
  /** The phase a single writer shows for this outcome. */
  phase: string;
  /** The product's own status fields, as this writer knows them. */
  product: Record<string, unknown>;
  deleting: boolean;
  /** The writer's other conditions as just observed; absent: they stay as they are. */
  conditions?: ConditionUpdate[];
}

export interface ManagedStatusFields {
  phase?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** The condition types a role writes. */
export function ownedConditionTypes<T>(role: StatusRole<T>): string[] {
  return role.kind === 'single'
    ? outcomeTypes
    : role.kind === 'contributor'
      ? [role.condition]
      : [role.condition, ...outcomeTypes];
}

/** The condition a role writes for its own outcome: its type, the outcome's status. */
function roleCondition(type: string, outcome: Outcome, generation: number | undefined) {
  const update: ConditionUpdate = {
    type,
    status: outcomeStatus(outcome),
    reason: outcome.state === 'Ready' ? type : outcome.reason,
    message: outcome.message,
  };
  return generation === undefined ? update : { ...update, observedGeneration: generation };
}

/** The phase of a summary when the product does not say. */
function proposedPhase(summary: Summary, own: string, conclusion: Conclusion): string {
  if (conclusion.deleting || summary.decidedBy === own) return conclusion.phase;
  switch (summary.outcome.state) {
    case 'Ready':
      return 'Ready';
    case 'Unknown':
      return 'Unknown';
    case 'Stalled':
      return 'Failed';
    case 'Reconciling':
      return 'Provisioning';
  }
}

/**
 * The status one writer applies for a conclusion, and what of the status it owns. Only the
 * writer's own conditions are carried (from the object, so their lastTransitionTime holds), so
 * another writer's are never copied and taken over.
 */
export function roleStatus<
  T extends { metadata: { generation?: number }; status?: ManagedStatusFields },
>(
  role: StatusRole<T>,
  obj: T,
  conclusion: Conclusion,
  productFields: readonly string[] | undefined,
  now: Date,
  observedTypes: readonly string[] = [],
): { status: Record<string, unknown>; owned: StatusOwnership } {
  const generation = obj.metadata.generation;
  const previous = obj.status;
  const types = [...ownedConditionTypes(role), ...observedTypes];
  let mine = previous?.conditions?.filter((c) => types.includes(c.type));
  for (const c of conclusion.conditions ?? []) {
    if (!observedTypes.includes(c.type)) continue;
    mine = setCondition(
      mine,
      generation === undefined ? c : { ...c, observedGeneration: generation },
      now,
    );
  }
  const { outcome } = conclusion;
  const fields = (extra: string[]) => (productFields ? [...productFields, ...extra] : undefined);
  switch (role.kind) {
    case 'single':
      return {
        status: {
          ...conclusion.product,
          phase: role.phase?.(conclusion.phase, outcome) ?? conclusion.phase,
          conditions: setOutcomeConditions(mine, outcome, generation, now),
          observedGeneration: observedGenerationAfter(
            outcome,
            generation,
            previous?.observedGeneration,
          ),
        },
        owned: {
          conditions: types,
          ...optional('fields', fields(['phase', 'observedGeneration'])),
        },
      };
    case 'contributor':
      return {
        status: {
          ...conclusion.product,
          conditions: setCondition(mine, roleCondition(role.condition, outcome, generation), now),
        },
        owned: { conditions: types, fields: productFields ?? [] },
      };
    case 'summarizer': {
      // A deletion is this writer's own work: the contributions say nothing about it.
      const summary = conclusion.deleting
        ? { outcome, decidedBy: role.condition }
        : summarize([
            { type: role.condition, outcome },
            ...role.contributors.map((type) => ({
              type,
              outcome: contributionOutcome(
                type,
                getCondition(previous?.conditions, type),
                generation,
                role.stalled,
              ),
            })),
          ]);
      const proposed = proposedPhase(summary, role.condition, conclusion);
      const phase =
        role.phase?.(obj, { ...summary, phase: proposed, deleting: conclusion.deleting }) ??
        proposed;
      const own = setCondition(mine, roleCondition(role.condition, outcome, generation), now);
      return {
        status: {
          ...conclusion.product,
          phase,
          conditions: setOutcomeConditions(own, summary.outcome, generation, now),
          observedGeneration: observedGenerationAfter(
            summary.outcome,
            generation,
            previous?.observedGeneration,
          ),
        },
        owned: {
          conditions: types,
          fields: [...(productFields ?? []), 'phase', 'observedGeneration'],
        },
      };
    }
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

/** The own condition of a role: what a transition (to Unknown, say) is read from. */
export function ownCondition<T>(role: StatusRole<T>): string {
  return role.kind === 'single' ? ReadyCondition : role.condition;
}

/**
 * Whether an update of the object changed a contributing condition: the summarizer's watch on
 * its own kind must wake for those status-only updates, which the default skips.
 */
export function contributionsChanged(types: readonly string[]) {
  return (oldObj: { status?: unknown }, newObj: { status?: unknown }): boolean => {
    const read = (o: { status?: unknown }) =>
      types.map((t) => {
        const c = getCondition((o.status as ManagedStatusFields | undefined)?.conditions, t);
        return c ? [c.status, c.reason, c.message, c.observedGeneration] : undefined;
      });
    return JSON.stringify(read(oldObj)) !== JSON.stringify(read(newObj));
  };
}

/** The status fields a writer keeps when it observed nothing new (a wait, an error). */
export function keptFields<S extends object, K extends keyof S>(
  status: S | undefined,
  fields: readonly K[],
): Partial<Pick<S, K>> {
  const out: Partial<Pick<S, K>> = {};
  for (const f of fields) if (status?.[f] !== undefined) out[f] = status[f];
  return out;
}
