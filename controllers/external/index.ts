export { explainErrors } from './explain-errors.ts';
export {
  ReconcileError,
  type ExternalClient,
  type InProgress,
  type Observation,
} from './external-client.ts';
export {
  managedReconciler,
  type ManagedObject,
  type ManagedReconcilerOptions,
  type ManagedStatus,
  type Recorder,
} from './managed-reconciler.ts';
