import { hostLabel, labelOf, type HostBoundResource } from '../../controllers/host/index.ts';
import { Host, simulatedLabel } from '../../operators/ecs/api/index.ts';

export { boundByLabel, labelOf, type HostBoundResource } from '../../controllers/host/index.ts';
import {
  agentGroup,
  agentUserPrefix,
  nodeNameExtra,
  simulatorGroup,
  simulatorUserPrefix,
} from './identity.ts';

export interface HostPolicyOptions {
  /** The name of the policy and of its binding (cluster-scoped). */
  name: string;
  /** Where host heartbeat Leases live. */
  hostsNamespace: string;
  /** The agents' service accounts, as user names (`system:serviceaccount:<ns>:<name>`). */
  serviceAccounts: readonly string[];
  /** The kinds host modules write, beyond the Lease and the Host (agent/modules.ts). */
  hostBound?: readonly HostBoundResource[];
}

const lit = (s: string) => `'${s}'`;

/** The reportingInstance of an agent's Events: the prefix, then its host. */
export const agentEventPrefix = 'kcloud-agent/';

/** The host-bound kinds: each host's heartbeat Lease and its Host, then the modules' kinds. */
export function hostBoundResources(
  hostsNamespace: string,
  moduleResources: readonly HostBoundResource[] = [],
): HostBoundResource[] {
  return [
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      subresource: '',
      namespace: hostsNamespace,
      hostOf: (o) => `${o}.metadata.name`,
      hostObject: true,
    },
    {
      group: Host.group,
      resource: Host.plural,
      subresource: '',
      hostOf: (o) => `${o}.metadata.name`,
      hostObject: true,
      // Cordoning is the cloud operator's decision: an agent cannot uncordon its own host. Its
      // Host may be bound (labelled) to itself only, never to another host.
      constraint:
        "request.operation == 'DELETE' || " +
        `((request.operation != 'UPDATE' || object.spec == oldObject.spec) && ` +
        // Compared one by one: a CEL list literal cannot mix a string and the dyn name.
        `(${labelOf('object', hostLabel)} == '' || ${labelOf('object', hostLabel)} == object.metadata.name))`,
    },
    {
      group: Host.group,
      resource: Host.plural,
      subresource: 'status',
      hostOf: (o) => `${o}.metadata.name`,
      hostObject: true,
    },
    {
      // An agent's Events say who reported them (reportingInstance `kcloud-agent/<host>`): it
      // may write only its own, so it cannot speak for another host.
      group: 'events.k8s.io',
      resource: 'events',
      subresource: '',
      hostOf: (o) =>
        `(has(${o}.reportingInstance) && ${o}.reportingInstance.startsWith(${lit(agentEventPrefix)}) ` +
        `? ${o}.reportingInstance.substring(${String(agentEventPrefix.length)}) : '')`,
      constraint: "request.operation != 'DELETE'",
    },
    ...moduleResources,
  ];
}

/** CEL: the request is for `r` (its group, resource, subresource and namespace). */
function targets(r: HostBoundResource): string {
  return [
    `request.resource.group == ${lit(r.group)}`,
    `request.resource.resource == ${lit(r.resource)}`,
    // Absent, not empty, on a request for the object itself.
    `(has(request.subResource) ? request.subResource : '') == ${lit(r.subresource)}`,
    ...(r.namespace === undefined ? [] : [`request.namespace == ${lit(r.namespace)}`]),
  ].join(' && ');
}

/** CEL: the first of `cases` whose resource the request targets gives the value, else `none`. */
function byResource(
  resources: readonly HostBoundResource[],
  value: (r: HostBoundResource) => string,
  none: string,
): string {
  return resources.reduceRight((rest, r) => `(${targets(r)}) ? ${value(r)} : ${rest}`, none);
}

/**
 * CEL: `o` (object or oldObject) belongs to one of the writer's hosts. An agent's is its one
 * host; a simulator's are `<name>-sim-<n>`, and an object that stands for a host (its Host, its
 * Lease) only while it is labelled simulated, so no real host's object is within its reach.
 */
function owns(o: 'object' | 'oldObject'): string {
  const h = `variables.${o}Host`;
  const prefix = 'variables.simulator';
  return (
    `variables.host != '' ? ${h} == variables.host : ` +
    `(${prefix} != '' && ${h}.startsWith(${prefix}) && size(${h}) > size(${prefix}) && ` +
    `${h}.substring(size(${prefix})).matches('^[1-9][0-9]*$') && ` +
    `(!variables.hostObject || ${labelOf(o, simulatedLabel)} == 'true'))`
  );
}

/**
 * A ValidatingAdmissionPolicy and its binding that confine every agent identity to its own
 * host's objects. RBAC decides what kinds an agent may write at all; this decides which objects.
 *
 * An agent identity is a client-certificate user in `kcloud:agents` (its host is the rest of
 * `kcloud:agent:<host>`), one of the agents' service accounts (its host is the node in its
 * pod-bound token), or a simulating agent's certificate user in `kcloud:simulators` (its hosts
 * are `<name>-sim-<n>` after `kcloud:simulator:<name>`). Any write by an agent identity that is
 * not to its own host's object is refused: another host's Lease, Host or bound object, the
 * manager's leader Lease, any other kind, and any write by an agent whose credentials name no
 * host (a service-account token not bound to a pod).
 */
export function agentHostPolicy(opts: HostPolicyOptions): object[] {
  const extra = `request.userInfo.extra[${lit(nodeNameExtra)}]`;
  const user = 'request.userInfo.username';
  const host =
    `${lit(agentGroup)} in request.userInfo.groups ` +
    `? (${user}.startsWith(${lit(agentUserPrefix)}) ` +
    `? ${user}.substring(${String(agentUserPrefix.length)}) : '') ` +
    `: (${lit(nodeNameExtra)} in request.userInfo.extra && size(${extra}) == 1 ? ${extra}[0] : '')`;
  const simulator =
    `${lit(simulatorGroup)} in request.userInfo.groups && ` +
    `${user}.startsWith(${lit(simulatorUserPrefix)}) && ` +
    `size(${user}) > ${String(simulatorUserPrefix.length)} ` +
    `? ${user}.substring(${String(simulatorUserPrefix.length)}) + '-sim-' : ''`;
  const resources = hostBoundResources(opts.hostsNamespace, opts.hostBound ?? []);
  // The host each version of the object is bound to, by the kind the request targets ('' for
  // a version the operation has not: no old object on CREATE, no new one on DELETE).
  const hostVariables = [
    {
      name: 'objectHost',
      expression: `request.operation == 'DELETE' ? '' : ${byResource(resources, (r) => r.hostOf('object'), "''")}`,
    },
    {
      name: 'oldObjectHost',
      expression: `request.operation == 'CREATE' ? '' : ${byResource(resources, (r) => r.hostOf('oldObject'), "''")}`,
    },
    {
      name: 'hostObject',
      expression: byResource(resources, (r) => String(r.hostObject === true), 'false'),
    },
  ];
  const ownHostObject =
    'variables.bound && ' +
    "(request.operation == 'CREATE' ? variables.ownsObject : " +
    "request.operation == 'UPDATE' ? variables.ownsObject && variables.ownsOldObject : " +
    "request.operation == 'DELETE' ? variables.ownsOldObject : false) && " +
    `(${byResource(resources, (r) => (r.constraint ? `(${r.constraint})` : 'true'), 'true')})`;
  const target =
    `request.resource.resource + " " + ` +
    `(has(request.namespace) ? request.namespace + "/" : "") + ` +
    `(has(request.name) ? request.name : "")`;
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
            `${lit(simulatorGroup)} in request.userInfo.groups || ` +
            `${user} in [${opts.serviceAccounts.map(lit).join(', ')}]`,
        },
      ],
      variables: [
        { name: 'host', expression: host },
        { name: 'simulator', expression: simulator },
        ...hostVariables,
        { name: 'bound', expression: resources.map((r) => `(${targets(r)})`).join(' || ') },
        // Evaluated only when the operation has that version of the object.
        { name: 'ownsObject', expression: owns('object') },
        { name: 'ownsOldObject', expression: owns('oldObject') },
        { name: 'ownHostObject', expression: ownHostObject },
      ],
      validations: [
        {
          expression: "variables.host != '' || variables.simulator != ''",
          reason: 'Forbidden',
          messageExpression:
            `"kcloud agent " + ${user} + " names no host: use a service-account ` +
            `token bound to the agent pod, or a client certificate for ${agentUserPrefix}<host>"`,
        },
        {
          expression: 'variables.ownHostObject',
          reason: 'Forbidden',
          messageExpression:
            `variables.host != '' ? "the kcloud agent of host " + variables.host + " may write only its own host's ` +
            `objects (its Lease ${opts.hostsNamespace}/" + variables.host + ", its Host " + variables.host + ` +
            `" and the objects labelled ${hostLabel}=" + variables.host + "; not its Host's spec), not " + ${target} : ` +
            `"the kcloud host simulator " + ${user} + " may write only the objects of its simulated hosts " + ` +
            `variables.simulator + "<n> (their Hosts and Leases only while labelled ${simulatedLabel}=true), not " + ${target}`,
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
