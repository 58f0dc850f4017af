// InstanceOperations in kcloud-manager: placed on their instance's host, summed up from the
// agent's record.
export {
  addInstanceOperationController,
  operationControllerName,
  type OperationControllerOptions,
} from './operation-controller.ts';
export { decideOperation, type OperationPlacement } from './operation-decision.ts';
export { operationFailed, operationPhase } from './operation-phase.ts';
export { operationUidLabel } from './password-copy.ts';
