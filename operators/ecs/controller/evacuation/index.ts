export {
  addEvacuationController,
  evacuationControllerName,
  type EvacuationOptions,
} from './evacuation-controller.ts';
export {
  evacuationDecision,
  notEvacuable,
  type EvacuationDecision,
} from './evacuation-decision.ts';
