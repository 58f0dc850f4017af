export {
  getCondition,
  isConditionTrue,
  observedGenerationAfter,
  outcomeStatus,
  ReadyCondition,
  ReconcilingCondition,
  setCondition,
  setOutcomeConditions,
  StalledCondition,
  type Condition,
  type ConditionUpdate,
  type Outcome,
} from './conditions.ts';
export {
  Controller,
  specOrMetadataChanged,
  specOrReadinessChanged,
  type ControllerOptions,
  type Reconcile,
  type ReconcileContext,
  type Request,
  type Result,
  type Watch,
} from './controller.ts';
export { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.ts';
export { controllerMetrics, type ControllerMetrics } from './metrics.ts';
export { controllerReference, ownerKeys, setControllerReference } from './owner.ts';
export {
  applyStatus,
  ownedStatusEqual,
  StatusConflictError,
  type StatusOwnership,
  type WithStatus,
} from './status.ts';
export { applyOwnStatus, ownConditions, type OwnStatus } from './own-status.ts';
export { contributionOutcome, summarize, type Summary, type SummaryPart } from './summary.ts';
