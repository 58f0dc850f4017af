export {
  burstKbit,
  desiredInterfaceQoS,
  interfaceQoSPriority,
  qosDirectionKey,
  type Bandwidth,
  type BandwidthInput,
} from './bandwidth.ts';
export {
  desiredInterfacePort,
  desiredRouter,
  desiredSubnet,
  interfacePortAddress,
  type Desired,
  type DesiredSubnet,
  type InterfaceInput,
  type SubnetInput,
} from './desired.ts';
export { networkACLs, networkAclPolicies, networkAclPriority } from './network-acls.ts';
export { withRequestedChassis } from './requested-chassis.ts';
export {
  desiredPeering,
  freeLink,
  linkAddresses,
  overlappingCidrs,
  peeringLinkRange,
  peeringPortNames,
  recordedLink,
  type DesiredPeering,
  type PeeringSide,
} from './peering.ts';
export { blackhole, desiredRoutes, type ResolvedRoute } from './route-tables.ts';
export { trafficMatch, type TrafficRule } from './traffic-match.ts';
export {
  derivedMac,
  names,
  ownerIds,
  ownerKeys,
  ownerOf,
  portKeys,
  rowIdentity,
  rowKeys,
  type Owner,
} from './ownership.ts';
export {
  aclPriority,
  baselineACLs,
  baselineGroup,
  baselineIds,
  legacyBaselineGroup,
  securityGroupACLs,
  type DesiredACL,
  type GroupResolver,
} from './security-groups.ts';
