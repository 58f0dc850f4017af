// Who an agent is, as the API server sees it. The admission policy (host-policy.ts) reads the
// host from these, never from anything the agent sends.

/** The group of every agent that authenticates with a client certificate. */
export const agentGroup = 'kcloud:agents';

/** The user prefix of an agent's client certificate: `kcloud:agent:<host>`. */
export const agentUserPrefix = 'kcloud:agent:';

/**
 * Where the API server puts the node of the pod a service-account token is bound to
 * (k8s.io/apiserver/pkg/authentication/serviceaccount NodeNameKey). The kubelet asks for the
 * agent pod's token, so it carries the host the pod runs on; a token for another node cannot be
 * had without rights no agent has.
 */
export const nodeNameExtra = 'authentication.kubernetes.io/node-name';

/**
 * The group of an agent that simulates hosts (`--simulate`, a benchmark device): it may write
 * only the objects of hosts named `<name>-sim-<n>` after its user `kcloud:simulator:<name>`,
 * and only Hosts and Leases labelled simulated (docs/hosts.md).
 */
export const simulatorGroup = 'kcloud:simulators';

/** The user prefix of a simulating agent's client certificate: `kcloud:simulator:<name>`. */
export const simulatorUserPrefix = 'kcloud:simulator:';

/** The client-certificate user of the agent simulating hosts `<name>-sim-<n>`. */
export function simulatorUser(name: string): string {
  return `${simulatorUserPrefix}${name}`;
}

/** The client-certificate user of the agent on `host`. */
export function agentUser(host: string): string {
  return `${agentUserPrefix}${host}`;
}

/** `system:serviceaccount:<namespace>:<name>`, a service account's user name. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
