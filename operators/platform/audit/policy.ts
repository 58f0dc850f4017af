// The API server's audit policy for a kcloud cluster. The audit log answers "who changed what,
// when, and was it allowed" for the cloud's own resources, and "who read which Secret" —
// without ever holding a Secret's content or an object's spec: every rule logs at Metadata
// level (user, verb, object, response code), never Request or RequestResponse. What the
// operators write to status all day is left out: it is the platform reporting, not someone
// acting, and it would bury the acts in noise.
//
// Rules are matched in order; the first that matches decides.

/** The verbs that change something. */
export const writeVerbs = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

export interface AuditPolicyRule {
  level: 'None' | 'Metadata';
  verbs?: string[];
  resources?: { group: string; resources?: string[] }[];
  omitStages?: string[];
}

export interface AuditPolicy {
  apiVersion: 'audit.k8s.io/v1';
  kind: 'Policy';
  omitStages: string[];
  rules: AuditPolicyRule[];
}

/** The policy for a cluster serving these API groups (every kcloud product's group). */
export function auditPolicy(kcloudGroups: readonly string[]): AuditPolicy {
  const groups = [...new Set(kcloudGroups)].sort();
  if (groups.length === 0) throw new Error('an audit policy needs the kcloud API groups');
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    // A request is logged once, when its response is complete (watches also when they start).
    omitStages: ['RequestReceived'],
    rules: [
      // Any access to a Secret, reads included: names and who, never the data.
      { level: 'Metadata', resources: [{ group: '', resources: ['secrets'] }] },
      // Status reported by the operators and agents.
      {
        level: 'None',
        verbs: ['update', 'patch'],
        resources: groups.map((group) => ({ group, resources: ['*/status'] })),
      },
      // Every change to a kcloud resource.
      { level: 'Metadata', verbs: [...writeVerbs], resources: groups.map((group) => ({ group })) },
      // Who made a namespace a project, and who granted whom access.
      {
        level: 'Metadata',
        verbs: [...writeVerbs],
        resources: [
          { group: '', resources: ['namespaces'] },
          {
            group: 'rbac.authorization.k8s.io',
            resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
          },
        ],
      },
      { level: 'None' },
    ],
  };
}
