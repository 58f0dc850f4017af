// Idempotent writers of the OVN northbound rows a VPC needs, one file per table.
export { NbClient } from './nb-client.ts';
export { changedColumns, sameValue, type NbOvsdb } from './columns.ts';
export { refusedReason, reportRefusals } from './refusals.ts';
export {
  ensurePortGroupACLs,
  ensureSwitchACLs,
  portGroupACLs,
  portGroupACLsMatch,
  switchACLs,
  switchACLsMatch,
  switchesWithACLsOf,
} from './acl.ts';
export {
  deleteDhcpOptions,
  ensureDhcpOptions,
  findDhcpOptions,
  type DesiredDhcpOptions,
} from './dhcp-options.ts';
export { deleteRouter, ensureRouter, findRouter } from './logical-router.ts';
export {
  deleteRouterPort,
  ensureRouterPort,
  findRouterPort,
  type DesiredRouterPort,
} from './logical-router-port.ts';
export {
  deleteRouterPoliciesOf,
  ensureRouterPolicies,
  routerPoliciesMatch,
  routersWithPoliciesOf,
  type DesiredRouterPolicy,
} from './router-policy.ts';
export {
  deleteStaticRoutesOf,
  ensureStaticRoutes,
  staticRoutesMatch,
  staticRoutesOf,
  type DesiredStaticRoute,
} from './static-route.ts';
export { deleteSwitch, ensureSwitch, findSwitch } from './logical-switch.ts';
export {
  deleteNatsOf,
  ensureNats,
  natsMatch,
  natsOf,
  routersWithNatsOf,
  type DesiredNat,
} from './nat.ts';
export {
  deleteSwitchPort,
  ensureSwitchPort,
  findSwitchPort,
  type DesiredSwitchPort,
  type SwitchPortOptions,
} from './logical-switch-port.ts';
export {
  inVpc,
  ownedBy,
  ownedByKind,
  ownedRows,
  ownedTables,
  type ExternalIdsPredicate,
  type OwnedTable,
} from './owned.ts';
export { deleteQoSOf, ensureSwitchQoS, switchQoS, switchQoSMatch, type DesiredQoS } from './qos.ts';
export {
  addPortsToGroup,
  deletePortGroup,
  ensurePortGroup,
  findPortGroup,
  removePortsFromGroup,
} from './port-group.ts';
