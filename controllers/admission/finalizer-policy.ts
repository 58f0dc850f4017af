// A finalizer put on by the API server itself, at create: a MutatingAdmissionPolicy runs inside
// the API server, so there is no webhook that could be down. The object then never exists
// without it: its deletion waits for the operator even when no operator has seen it yet, and the
// operator's first reconcile needs no write of its own to add it (one API write less per object).
// Operators keep adding their finalizer too, for objects created before the policy existed.

/** An operator's finalizer, and the kinds whose creates get it. */
export interface CreateFinalizer {
  finalizer: string;
  resources: readonly { group: string; plural: string }[];
}

export interface FinalizerPolicyOptions {
  /** The name of the policy and of its binding (cluster-scoped). */
  name: string;
  /**
   * Only objects in these namespaces: a manager that watches one namespace, or a test sharing its
   * API server. Default every namespace.
   */
  namespaces?: readonly string[];
}

/** The name label every namespace carries (set by the API server, not by its users). */
const namespaceNameLabel = 'kubernetes.io/metadata.name';

/**
 * CEL: the JSON patch that adds the finalizer and keeps every finalizer already given; nothing
 * when it is there already (a create that copies an object, a reinvocation).
 */
export function addFinalizerPatch(finalizer: string): string {
  const f = JSON.stringify(finalizer);
  return (
    'has(object.metadata.finalizers) ? ' +
    `(${f} in object.metadata.finalizers ? [] : ` +
    `[JSONPatch{op: "add", path: "/metadata/finalizers/-", value: ${f}}]) : ` +
    `[JSONPatch{op: "add", path: "/metadata/finalizers", value: [${f}]}]`
  );
}

/**
 * Admission rules for namespaced kinds: one per API group, naming its plurals, in every version
 * (a webhook's or a policy's match).
 */
export function rulesByGroup(
  resources: readonly { group: string; plural: string }[],
  operations: readonly string[],
) {
  const groups = [...new Set(resources.map((r) => r.group))];
  return groups.map((group) => ({
    apiGroups: [group],
    apiVersions: ['*'],
    operations: [...operations],
    resources: resources.filter((r) => r.group === group).map((r) => r.plural),
    scope: 'Namespaced',
  }));
}

/** The policy and its binding. */
export function finalizerPolicy(f: CreateFinalizer, opts: FinalizerPolicyOptions): object[] {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name: opts.name },
    spec: {
      // A create the policy cannot patch is refused rather than let through without it.
      failurePolicy: 'Fail',
      matchConstraints: {
        matchPolicy: 'Equivalent',
        resourceRules: rulesByGroup(f.resources, ['CREATE']),
      },
      reinvocationPolicy: 'IfNeeded',
      mutations: [
        { patchType: 'JSONPatch', jsonPatch: { expression: addFinalizerPatch(f.finalizer) } },
      ],
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
