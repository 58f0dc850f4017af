export { explainErrors } from './explain-errors.ts';
export {
  ReconcileError,
  type ExternalClient,
  type InProgress,
  type Observation,
  type Unreachable,
} from './external-client.ts';
export {
  managedReconciler,
  minInProgressRequeueMs,
  type ManagedObject,
  type ManagedReconcilerOptions,
  type ManagedStatus,
  type Recorder,
} from './managed-reconciler.ts';
export {
  contributionsChanged,
  keptFields,
  type ContributingWriter,
  type PhaseSummary,
  type SingleWriter,
  type StatusRole,
  type SummarizingWriter,
} from './status-roles.ts';
export { WaitingError } from './waiting.ts';
