export {
  addFinalizerPatch,
  finalizerPolicy,
  type CreateFinalizer,
  type FinalizerPolicyOptions,
} from './finalizer-policy.ts';
