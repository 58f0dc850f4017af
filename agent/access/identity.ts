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

/** The client-certificate user of the agent on `host`. */
export function agentUser(host: string): string {
  return `${agentUserPrefix}${host}`;
}

/** `system:serviceaccount:<namespace>:<name>`, a service account's user name. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}
