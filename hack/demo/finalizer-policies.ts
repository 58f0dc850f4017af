// The operators' finalizer policies in a cluster without the chart (make demo, the integration
// tests, the benchmarks): each operator's finalizer put on at create by the API server
// (controllers/admission) while the manager runs that operator, taken away when it does not, so
// that no deletion waits for an operator that is not there.
import {
  finalizerPolicy,
  type CreateFinalizer,
  type FinalizerPolicyOptions,
} from '../../controllers/admission/index.ts';
import { createFinalizerOperators, selectOperators } from '../../operators/manager/operators.ts';
import { kubectlOk } from '../cluster/index.ts';
import { flagValue } from './flags.ts';

/** The policy of the operator `name` (its objects are named `kcloud-<name>`). */
export const demoPolicyName = (operator: string) => `kcloud-${operator}`;

export interface DemoFinalizerPolicy {
  operator: string;
  finalizer: CreateFinalizer;
  options: FinalizerPolicyOptions;
  /** Whether the manager runs the operator: the policy is installed, else removed. */
  runs: boolean;
}

/** Whether a manager run with `flags` runs the operator `name`. */
export function runsOperator(flags: string[], name: string): boolean {
  return selectOperators(flagValue(flags, 'operators')).some((o) => o.name === name);
}

/**
 * Every operator's policy for a manager run with `flags`: bound to its --namespace or to every
 * namespace, installed when its --operators include the operator.
 */
export function demoFinalizerPolicies(flags: string[]): DemoFinalizerPolicy[] {
  const namespace = flagValue(flags, 'namespace');
  return createFinalizerOperators.map((o) => ({
    operator: o.name,
    finalizer: o.createFinalizer,
    options: { name: demoPolicyName(o.name), ...(namespace ? { namespaces: [namespace] } : {}) },
    runs: runsOperator(flags, o.name),
  }));
}

/** Creates or updates a policy and its binding (server-side apply). */
export async function applyFinalizerPolicy(
  kubeconfig: string,
  finalizer: CreateFinalizer,
  opts: FinalizerPolicyOptions,
): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: finalizerPolicy(finalizer, opts) };
  await kubectlOk(
    kubeconfig,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=kcloud-demo', '-f', '-'],
    JSON.stringify(list),
  );
}

/** Deletes a policy and its binding; absent ones are no error. */
export async function removeFinalizerPolicy(kubeconfig: string, name: string): Promise<void> {
  await kubectlOk(kubeconfig, [
    'delete',
    '--ignore-not-found',
    `mutatingadmissionpolicybindings.admissionregistration.k8s.io/${name}`,
    `mutatingadmissionpolicies.admissionregistration.k8s.io/${name}`,
  ]);
}

/** Installs the policies of the operators the manager runs and removes the others'. */
export async function syncFinalizerPolicies(kubeconfig: string, flags: string[]): Promise<void> {
  for (const p of demoFinalizerPolicies(flags)) {
    if (p.runs) await applyFinalizerPolicy(kubeconfig, p.finalizer, p.options);
    else await removeFinalizerPolicy(kubeconfig, p.options.name);
  }
}
