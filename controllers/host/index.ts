// What the host agent and the products that run on hosts share: the binding of objects to hosts
// by a scheduler's binding client, and the interface of a host module (what a product hands
// kcloud-agent).
export { bindingClient, waitRequeueMs, type Bound } from './binding-client.ts';
export { missing, refuse, wait, type Decision } from './decision.ts';
export {
  boundByLabel,
  boundKind,
  finalizersOnly,
  hostLabel,
  labelOf,
  type HostBoundResource,
} from './host-bound.ts';
export type { HostModule, HostModuleContext } from './host-module.ts';
export { writeFileAtomic } from './state-file.ts';
