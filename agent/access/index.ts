// What an agent may write: only its own host's objects. Its identity names its host (a pod-bound
// service-account token or a `kcloud:agent:<host>` client certificate), RBAC grants the kinds,
// and a ValidatingAdmissionPolicy refuses every write to another host's object.
export {
  agentHostPolicy,
  hostBoundResources,
  type HostBoundResource,
  type HostPolicyOptions,
} from './host-policy.ts';
export {
  agentGroup,
  agentUser,
  agentUserPrefix,
  nodeNameExtra,
  serviceAccountUser,
} from './identity.ts';
export { agentAccessManifests } from './local.ts';
