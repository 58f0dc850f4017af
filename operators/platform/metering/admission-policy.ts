// The metering finalizer put on by the API server itself, at create: a MutatingAdmissionPolicy
// runs inside the API server, so there is no webhook that could be down, and an object created
// and deleted while no metering operator runs still waits for its records. The operator keeps
// adding the finalizer too, for objects created before the policy existed.
import { meteredKinds } from './dimensions.ts';
import { meteringFinalizer } from './metering-controller.ts';

export interface MeteringPolicyOptions {
  /** The name of the policy and of its binding (cluster-scoped). */
  name: string;
  /**
   * Only objects in these namespaces: a manager that meters one namespace, or a test sharing its
   * API server. Default every namespace, projects or not.
   */
  namespaces?: readonly string[];
}

/** The name label every namespace carries (set by the API server, not by its users). */
const namespaceNameLabel = 'kubernetes.io/metadata.name';

/**
 * CEL: the JSON patch that adds the finalizer and keeps every finalizer already given; nothing
 * when it is there already (a create that copies an object, a reinvocation).
 */
export const addFinalizerPatch =
  'has(object.metadata.finalizers) ? ' +
  `(${JSON.stringify(meteringFinalizer)} in object.metadata.finalizers ? [] : ` +
  `[JSONPatch{op: "add", path: "/metadata/finalizers/-", value: ${JSON.stringify(meteringFinalizer)}}]) : ` +
  `[JSONPatch{op: "add", path: "/metadata/finalizers", value: [${JSON.stringify(meteringFinalizer)}]}]`;

/** The metered kinds' creates, per API group, in every version. */
function createRules() {
  const groups = [...new Set(meteredKinds.map((k) => k.resource.group))];
  return groups.map((group) => ({
    apiGroups: [group],
    apiVersions: ['*'],
    operations: ['CREATE'],
    resources: meteredKinds.filter((k) => k.resource.group === group).map((k) => k.resource.plural),
    scope: 'Namespaced',
  }));
}

/** The policy and its binding. */
export function meteringFinalizerPolicy(opts: MeteringPolicyOptions): object[] {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: opts.name },
    spec: {
      // A create the policy cannot patch is refused rather than let through unmetered.
      failurePolicy: 'Fail',
      matchConstraints: { matchPolicy: 'Equivalent', resourceRules: createRules() },
      reinvocationPolicy: 'IfNeeded',
      mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: addFinalizerPatch } }],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name: opts.name },
    spec: {
      policyName: opts.name,
      ...(opts.namespaces
        ? {
            matchResources: {
              namespaceSelector: {
                matchExpressions: [
                  { key: namespaceNameLabel, operator: 'In', values: [...opts.namespaces] },
                ],
              },
            },
          }
        : {}),
    },
  };
  return [policy, binding];
}
