// The metering finalizer put on by the API server itself, at create (controllers/admission): an
// object created and deleted while no metering operator runs still waits for its records.
import {
  addFinalizerPatch as patchAdding,
  finalizerPolicy,
  type CreateFinalizer,
  type FinalizerPolicyOptions,
} from '../../../controllers/admission/index.ts';
import { meteredKinds } from './dimensions.ts';
import { meteringFinalizer } from './metering-controller.ts';

export type MeteringPolicyOptions = FinalizerPolicyOptions;

/** Every metered kind's creates get the metering finalizer, projects or not. */
export const meteringCreateFinalizer: CreateFinalizer = {
  finalizer: meteringFinalizer,
  resources: meteredKinds.map((k) => k.resource),
};

export const addFinalizerPatch = patchAdding(meteringFinalizer);

/** The policy and its binding. */
export function meteringFinalizerPolicy(opts: MeteringPolicyOptions): object[] {
  return finalizerPolicy(meteringCreateFinalizer, opts);
}
