// What the host agent and the products that run on hosts share: the binding of objects to hosts
// and the interface of a host module (what a product hands kcloud-agent).
export { boundByLabel, hostLabel, labelOf, type HostBoundResource } from './host-bound.ts';
export type { HostModule, HostModuleContext } from './host-module.ts';
