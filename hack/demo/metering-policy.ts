// The metering finalizer's admission policy in a cluster without the chart (make demo, the
// integration tests): installed while the manager meters, taken away when it does not, so that
// no deletion waits for a metering operator that is not there.
import { selectOperators } from '../../operators/manager/operators.ts';
import {
  meteringFinalizerPolicy,
  type MeteringPolicyOptions,
} from '../../operators/platform/metering/index.ts';
import { kubectlOk } from '../cluster/index.ts';
import { flagValue } from './flags.ts';

export const demoMeteringPolicyName = 'kcloud-metering';

/**
 * The policy for a manager run with `flags`: its metered namespace (--namespace) or all of them;
 * undefined when its --operators leave metering out.
 */
export function demoMeteringPolicy(flags: string[]): MeteringPolicyOptions | undefined {
  const operators = selectOperators(flagValue(flags, 'operators'));
  if (!operators.some((o) => o.name === 'metering')) return undefined;
  const namespace = flagValue(flags, 'namespace');
  return { name: demoMeteringPolicyName, ...(namespace ? { namespaces: [namespace] } : {}) };
}

/** Creates or updates the policy and its binding (server-side apply). */
export async function applyMeteringPolicy(
  kubeconfig: string,
  opts: MeteringPolicyOptions,
): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: meteringFinalizerPolicy(opts) };
  await kubectlOk(
    kubeconfig,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=kcloud-metering', '-f', '-'],
    JSON.stringify(list),
  );
}

/** Deletes the policy and its binding; absent ones are no error. */
export async function removeMeteringPolicy(kubeconfig: string, name: string): Promise<void> {
  await kubectlOk(kubeconfig, [
    'delete',
    '--ignore-not-found',
    `mutatingadmissionpolicybindings.admissionregistration.k8s.io/${name}`,
    `mutatingadmissionpolicies.admissionregistration.k8s.io/${name}`,
  ]);
}
