import { agentGroup, agentUserPrefix, nodeNameExtra } from './identity.ts';

/**
 * A kind whose objects belong to one host: an agent may create, change and delete only those of
 * its own host. Leases today; the VM, NIC-plug and volume kinds the agent will write join this
 * list with the CEL that finds an object's host.
 */
export interface HostBoundResource {
  group: string;
  /** The plural, as in RBAC. */
  resource: string;
  /** '' for the object itself, or e.g. 'status'. */
  subresource: string;
  /** For a namespaced kind: the one namespace an agent may write it in. */
  namespace?: string;
  /** CEL for the host an object is bound to; `o` is `object` or `oldObject`. */
  hostOf(o: string): string;
}

export interface HostPolicyOptions {
  /** The name of the policy and of its binding (cluster-scoped). */
  name: string;
  /** Where host heartbeat Leases live. */
  hostsNamespace: string;
  /** The agents' service accounts, as user names (`system:serviceaccount:<ns>:<name>`). */
  serviceAccounts: readonly string[];
}

/** The host-bound kinds: each host's heartbeat Lease, named after the host. */
export function hostBoundResources(hostsNamespace: string): HostBoundResource[] {
  return [
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      subresource: '',
      namespace: hostsNamespace,
      hostOf: (o) => `${o}.metadata.name`,
    },
  ];
}

const lit = (s: string) => `'${s}'`;

/**
 * True when the request writes an object of `r` bound to `variables.host`. An update must keep
 * the object on that host (old and new), so an agent cannot take over another host's object by
 * rewriting the field that names the host.
 */
function writesOwn(r: HostBoundResource): string {
  const own = (o: string) => `${r.hostOf(o)} == variables.host`;
  return [
    `request.resource.group == ${lit(r.group)}`,
    `request.resource.resource == ${lit(r.resource)}`,
    // Absent, not empty, on a request for the object itself.
    `(has(request.subResource) ? request.subResource : '') == ${lit(r.subresource)}`,
    ...(r.namespace === undefined ? [] : [`request.namespace == ${lit(r.namespace)}`]),
    `(request.operation == 'CREATE' ? ${own('object')} : ` +
      `request.operation == 'UPDATE' ? ${own('object')} && ${own('oldObject')} : ` +
      `request.operation == 'DELETE' ? ${own('oldObject')} : false)`,
  ].join(' && ');
}

/**
 * A ValidatingAdmissionPolicy and its binding that confine every agent identity to its own
 * host's objects. RBAC decides what kinds an agent may write at all; this decides which objects.
 *
 * An agent identity is a client-certificate user in `kcloud:agents` (its host is the rest of
 * `kcloud:agent:<host>`) or one of the agents' service accounts (its host is the node in its
 * pod-bound token). Any write by an agent identity that is not to its own host's object is
 * refused: another host's Lease, the manager's leader Lease, any other kind, and any write by an
 * agent whose credentials name no host (a service-account token not bound to a pod).
 */
export function agentHostPolicy(opts: HostPolicyOptions): object[] {
  const extra = `request.userInfo.extra[${lit(nodeNameExtra)}]`;
  const host =
    `${lit(agentGroup)} in request.userInfo.groups ` +
    `? (request.userInfo.username.startsWith(${lit(agentUserPrefix)}) ` +
    `? request.userInfo.username.substring(${String(agentUserPrefix.length)}) : '') ` +
    `: (${lit(nodeNameExtra)} in request.userInfo.extra && size(${extra}) == 1 ? ${extra}[0] : '')`;
  const resources = hostBoundResources(opts.hostsNamespace);
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: opts.name },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*/*'] },
        ],
      },
      matchConditions: [
        {
          name: 'kcloud-agent',
          expression:
            `${lit(agentGroup)} in request.userInfo.groups || ` +
            `request.userInfo.username in [${opts.serviceAccounts.map(lit).join(', ')}]`,
        },
      ],
      variables: [
        { name: 'host', expression: host },
        {
          name: 'ownHostObject',
          expression: resources.map((r) => `(${writesOwn(r)})`).join(' || '),
        },
      ],
      validations: [
        {
          expression: "variables.host != ''",
          reason: 'Forbidden',
          messageExpression:
            `"kcloud agent " + request.userInfo.username + " names no host: use a service-account ` +
            `token bound to the agent pod, or a client certificate for ${agentUserPrefix}<host>"`,
        },
        {
          expression: 'variables.ownHostObject',
          reason: 'Forbidden',
          messageExpression:
            `"the kcloud agent of host " + variables.host + " may write only its own host's ` +
            `objects (its Lease ${opts.hostsNamespace}/" + variables.host + "), not " + ` +
            `request.resource.resource + " " + ` +
            `(has(request.namespace) ? request.namespace + "/" : "") + ` +
            `(has(request.name) ? request.name : "")`,
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: opts.name },
    spec: { policyName: opts.name, validationActions: ['Deny'] },
  };
  return [policy, binding];
}
