export {
  addFinalizerPatch,
  finalizerPolicy,
  rulesByGroup,
  type CreateFinalizer,
  type FinalizerPolicyOptions,
} from './finalizer-policy.ts';
