// What an agent may write: only its own host's objects. Its identity names its host (a pod-bound
// service-account token or a `kcloud:agent:<host>` client certificate; `kcloud:simulator:<name>`
// for the simulated hosts `<name>-sim-<n>`), RBAC grants the kinds, and a
// ValidatingAdmissionPolicy refuses every write to another host's object.
export {
  agentHostPolicy,
  boundByLabel,
  hostBoundResources,
  labelOf,
  type HostBoundResource,
  type HostPolicyOptions,
} from './host-policy.ts';
export {
  agentGroup,
  agentUser,
  agentUserPrefix,
  nodeNameExtra,
  serviceAccountUser,
  simulatorGroup,
  simulatorUser,
  simulatorUserPrefix,
} from './identity.ts';
export { agentAccessManifests, type AgentAccessOptions } from './local.ts';
